//! placeholder: being written.

/// Expands a 16-bit compressed instruction to its 32-bit equivalent; `None` if reserved/illegal.
pub fn expand(_h: u16) -> Option<u32> {
    None
}
