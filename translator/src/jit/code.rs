//! Executable memory for translated code: one fixed host mapping used as a bump arena.
//!
//! Cranelift compiles each block to position-independent bytes without relocations (helpers are
//! called through addresses given as immediates), so code is simply copied here. The arena
//! never moves; a flush resets it to just after the pinned prefix (the entry trampoline), which
//! is the "whole-cache flush when full" policy. Freeing is only ever done while no translated
//! code runs (the engine flushes from its dispatch loop).

use std::io;

/// Alignment of each function placed in the arena.
const ALIGN: usize = 16;

/// A fixed-size read-write-execute arena.
pub struct CodeMem {
    ptr: *mut u8,
    size: usize,
    used: usize,
    /// Bytes at the start that survive a reset (the trampoline).
    pinned: usize,
}

impl CodeMem {
    /// Maps `size` bytes (rounded up to whole host pages) of executable memory.
    pub fn new(size: usize) -> io::Result<Self> {
        let size = size.max(ALIGN).next_multiple_of(4096);
        // SAFETY: a fresh anonymous private mapping at a kernel-chosen address; no existing
        // memory is affected. MAP_FAILED is checked below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            ptr: ptr.cast(),
            size,
            used: 0,
            pinned: 0,
        })
    }

    /// Copies `code` into the arena; `None` when it is full.
    pub fn install(&mut self, code: &[u8]) -> Option<*const u8> {
        let at = self.used.next_multiple_of(ALIGN);
        let end = at.checked_add(code.len())?;
        if end > self.size {
            return None;
        }
        // SAFETY: [at, end) lies inside our mapping (checked above) and is not in use by any
        // installed function (the bump pointer only moves forward until a reset, and resets
        // happen while no translated code runs).
        let dst = unsafe { self.ptr.add(at) };
        // SAFETY: `dst` is valid for `code.len()` bytes (above); the slices cannot overlap
        // because `code` is a Rust-owned buffer outside our mapping.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), dst, code.len()) };
        // SAFETY: the range was just written; clearing the icache for it is required on hosts
        // with incoherent instruction caches and a no-op elsewhere.
        unsafe {
            let _ = wasmtime_internal_jit_icache_coherence::clear_cache(dst.cast(), code.len());
        }
        self.used = end;
        Some(dst)
    }

    /// Makes everything installed so far survive [`CodeMem::reset`].
    pub fn pin(&mut self) {
        self.pinned = self.used;
    }

    /// Forgets every unpinned function. The caller guarantees none of them runs or is reachable
    /// (code pointers to them have been dropped from every cache and chain slot).
    pub fn reset(&mut self) {
        self.used = self.pinned;
    }

    /// Bytes in use.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Capacity in bytes.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl Drop for CodeMem {
    fn drop(&mut self) {
        // SAFETY: unmapping the mapping this struct created, once; the engine that owns it
        // never runs translated code after dropping it.
        unsafe {
            libc::munmap(self.ptr.cast(), self.size);
        }
    }
}
