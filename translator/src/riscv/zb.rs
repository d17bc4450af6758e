//! placeholder: being written.
use crate::decode::Table;
use crate::emit::Emitter;

pub fn register<E: Emitter>(_t: &mut Table<E>) {}
