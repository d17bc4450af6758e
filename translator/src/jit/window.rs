//! Access windows: the loads and stores of one guest block that use the same base register
//! value (`x[rs1] + imm` with `x[rs1]` not written in between), such as a stack frame's saves
//! and restores or a structure's fields, are checked together.
//!
//! The first of them that runs checks the whole window, the bytes from the lowest offset to the
//! end of the highest access: its first and last page must be inside the fast-memory table and
//! allow every kind of access in the group (a window spans at most 4096 bytes, so those two
//! pages hold all of it). The others then access memory with no check at all.
//!
//! When the window check fails, the block leaves before that access ([`super::exit::SLOW`]):
//! the interpreter runs the rest of the guest block, so a fault is raised precisely at the
//! access that makes it. Both pages hold some access of the group, and a guest block runs to
//! its end unless something faults, so a failing check means some access of the group cannot
//! be done inline. (One case costs a slow exit without a fault: a group that loads from a
//! read-only page and stores to another; such code then runs in the interpreter.)

use crate::decode::Decoded;

/// The fewest accesses a window has where the host MMU can check loads and stores
/// ([`super::fault`]): a window's check (two permission-table loads and the tests of both
/// pages) costs about what four bound checks do, and a bound check whose landing pad is lost
/// gets a table check of its own, so smaller groups are cheaper checked one by one. Measured
/// (the kit's programs, the least task-clock of 3 interleaved runs, with this at 2, 4, 8, 12
/// and with no windows): fib 1.34, 1.20, 1.18, 1.16, 1.11 s; nbody 2.04, 2.02, 2.01, 2.04,
/// 2.50 s (its loops' groups of a dozen or more fields of one body).
pub const MIN_WITH_HOST_CHECKS: usize = 8;

/// Where a load or store of a guest block stands in its window: offsets relative to the
/// access's own address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The group (an index, unique within the guest block).
    pub group: u32,
    /// The window is `[addr + lo, addr + hi)`.
    pub lo: i64,
    pub hi: i64,
    /// Some access of the group loads (needs read permission) or stores (needs the store bit).
    pub load: bool,
    pub store: bool,
}

/// Width in bytes and whether it stores, of the guest loads and stores the JIT does inline.
fn access(name: &str) -> Option<(i64, bool)> {
    Some(match name {
        "lb" | "lbu" => (1, false),
        "lh" | "lhu" => (2, false),
        "lw" | "lwu" | "flw" => (4, false),
        "ld" | "fld" => (8, false),
        "sb" => (1, true),
        "sh" => (2, true),
        "sw" | "fsw" => (4, true),
        "sd" | "fsd" => (8, true),
        _ => return None,
    })
}

/// A load or store of a guest block.
struct Access {
    pc: u64,
    /// The group key: base register, and how many times it was written before.
    key: (u8, u32),
    offset: i64,
    width: i64,
    store: bool,
}

/// The windows of a guest block's instructions (address, decoded): `(address, window)` for each
/// load or store that shares its base register value with another one of the block, in groups
/// of at least `min_members` accesses (and at least two).
pub fn plan<E>(insns: &[(u64, Decoded<E>)], min_members: usize) -> Vec<(u64, Window)> {
    // Each access with its group key (base register, number of writes to it so far).
    let mut version = [0u32; 32];
    let mut accesses = Vec::new();
    for (pc, d) in insns {
        let i = &d.insn;
        let kind = access(d.name);
        if let Some((width, store)) = kind {
            let base = i.rs1 & 31;
            accesses.push(Access {
                pc: *pc,
                key: (base, version[base as usize]),
                offset: i.imm,
                width,
                store,
            });
        }
        // Whatever writes a register (conservatively: every instruction but a store names its
        // destination in `rd`) starts a new group for that base.
        if !kind.is_some_and(|(_, store)| store) {
            version[(i.rd & 31) as usize] += 1;
        }
    }
    let mut keys: Vec<(u8, u32)> = accesses.iter().map(|a| a.key).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = Vec::new();
    for (group, key) in keys.into_iter().enumerate() {
        let members: Vec<&Access> = accesses.iter().filter(|a| a.key == key).collect();
        if members.len() < min_members.max(2) {
            continue;
        }
        let min = members.iter().map(|a| a.offset).min().unwrap_or(0);
        let end = members
            .iter()
            .map(|a| a.offset + a.width)
            .max()
            .unwrap_or(0);
        if end - min > 4096 {
            continue;
        }
        let load = members.iter().any(|a| !a.store);
        let store = members.iter().any(|a| a.store);
        for a in members {
            out.push((
                a.pc,
                Window {
                    group: group as u32,
                    lo: min - a.offset,
                    hi: end - a.offset,
                    load,
                    store,
                },
            ));
        }
    }
    out.sort_unstable_by_key(|w| w.0);
    out
}
