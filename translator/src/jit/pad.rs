//! Landing pads of host-checked accesses, read from compiled x86-64 code (see [`super::fault`]).
//!
//! A host-checked load or store is compiled as a bound check, whose conditional branch goes to
//! the block that leaves for the interpreter, and then the access. When the access faults, the
//! fault handler resumes at that branch's target, which is only right if the host registers
//! then hold what the target would have received from the branch.
//!
//! The register allocator may put a few instructions between the branch and the access: a
//! reload of a spilled base address, a move, the computation of the value to store. The access
//! can keep its landing pad when those instructions (the *gap*) change nothing the target
//! reads: they write registers only (no memory, not the stack or frame pointer, no branch or
//! call), and the target's code, followed through unconditional jumps up to its return,
//! replaces each of those registers before reading it. Anything this module cannot read with
//! certainty (an instruction it does not model, a conditional branch in the target, a gap
//! longer than [`MAX_GAP`] bytes) leaves the access without a landing pad; compilation then
//! gives it the permission-table check instead.

use iced_x86::{
    Decoder, DecoderOptions, FlowControl, InstructionInfoFactory, OpAccess, Register, RflagsBits,
};

use super::fault::MAX_GAP;

/// Instructions of the target followed at most, and unconditional jumps among them.
const MAX_TARGET_INSNS: usize = 2048;
const MAX_JUMPS: usize = 8;

/// Bit of the status flags in a register set (bits 0-15 are the general registers).
const FLAGS: u32 = 1 << 16;

const STATUS: u32 = RflagsBits::OF
    | RflagsBits::SF
    | RflagsBits::ZF
    | RflagsBits::AF
    | RflagsBits::CF
    | RflagsBits::PF;

/// The bit of a general register (any width) in a register set; `None` for other registers.
fn gpr_bit(r: Register) -> Option<u32> {
    if !r.is_gpr() {
        return None;
    }
    let i = (r.full_register() as u32).wrapping_sub(Register::RAX as u32);
    (i < 16).then(|| 1 << i)
}

/// The start of the gap of the access at offset `site` of `code`, and its landing pad
/// (the branch's target), if the access keeps one (see the module documentation). `starts`
/// are the offsets of the function's blocks.
///
/// The gap starts at the start of the block holding the access: that block has one
/// predecessor, the block ending in the bound check, so the block laid out right before it
/// either is that one, whose last instruction is its conditional branch to the cold block (or
/// to a block of moves into it), or ends with a jump, return or tail call, none of which ends
/// in the bytes of a `jcc rel32`.
pub fn find(code: &[u8], site: u32, starts: &[u32]) -> Option<(u32, u32)> {
    if site as usize >= code.len() {
        return None;
    }
    let start = starts.iter().copied().filter(|&b| b <= site).max()?;
    let b = start as usize;
    if (site - start) as usize > MAX_GAP || b < 6 {
        return None;
    }
    if code[b - 6] != 0x0f || code[b - 5] & 0xf0 != 0x80 {
        return None;
    }
    let rel = i32::from_le_bytes([code[b - 4], code[b - 3], code[b - 2], code[b - 1]]);
    let target = u32::try_from(i64::from(start) + i64::from(rel)).ok()?;
    if target as usize >= code.len() || target == start || !starts.contains(&target) {
        return None;
    }
    let mut info = InstructionInfoFactory::new();
    let written = gap_writes(&code[..site as usize], start, &mut info)?;
    if written != 0 && !replaced_before_read(code, target, written, &mut info) {
        return None;
    }
    Some((start, target))
}

/// The registers (and flags) the instructions of `code[start..]` write, if they write nothing
/// else: no memory, not the stack or frame pointer, no other register class, no control flow,
/// and they read memory only from the stack or the constant pool (a reload cannot fault).
fn gap_writes(code: &[u8], start: u32, info: &mut InstructionInfoFactory) -> Option<u32> {
    let bytes = code.get(start as usize..)?;
    let mut dec = Decoder::with_ip(64, bytes, u64::from(start), DecoderOptions::NONE);
    let mut written = 0u32;
    while dec.can_decode() {
        let ins = dec.decode();
        if ins.is_invalid() || ins.flow_control() != FlowControl::Next {
            return None;
        }
        if ins.rflags_modified() != 0 {
            written |= FLAGS;
        }
        let inf = info.info(&ins);
        for m in inf.used_memory() {
            let from_frame = matches!(m.base(), Register::RSP | Register::RIP)
                && m.index() == Register::None
                && m.segment() != Register::FS
                && m.segment() != Register::GS;
            match m.access() {
                OpAccess::NoMemAccess => {}
                OpAccess::Read if from_frame => {}
                _ => return None,
            }
        }
        for u in inf.used_registers() {
            if matches!(
                u.access(),
                OpAccess::Read | OpAccess::CondRead | OpAccess::None
            ) {
                continue;
            }
            let bit = gpr_bit(u.register())?;
            if matches!(u.register().full_register(), Register::RSP | Register::RBP) {
                return None;
            }
            written |= bit;
        }
    }
    // The decoder stops at the end of the slice: an instruction running past the access
    // would have decoded as invalid.
    Some(written)
}

/// Whether the code at `target`, followed through unconditional jumps up to its return,
/// replaces every register (and the flags) of `regs` before reading it. The return reads the
/// return value's register.
fn replaced_before_read(
    code: &[u8],
    target: u32,
    regs: u32,
    info: &mut InstructionInfoFactory,
) -> bool {
    let mut live = regs;
    let mut at = target as usize;
    let (mut n, mut jumps) = (0, 0);
    loop {
        let Some(bytes) = code.get(at..) else {
            return false;
        };
        let mut dec = Decoder::with_ip(64, bytes, at as u64, DecoderOptions::NONE);
        loop {
            if !dec.can_decode() || n >= MAX_TARGET_INSNS {
                return false;
            }
            n += 1;
            let ins = dec.decode();
            if ins.is_invalid() {
                return false;
            }
            if ins.rflags_read() != 0 && live & FLAGS != 0 {
                return false;
            }
            let inf = info.info(&ins);
            // Every use of a register reads it, but for an unconditional write of all of it
            // (a part written keeps the rest); the reads of an instruction come before its
            // writes.
            let replaces = |u: &iced_x86::UsedRegister| {
                u.access() == OpAccess::Write
                    && (u.register().is_gpr64() || u.register().is_gpr32())
            };
            for u in inf.used_registers() {
                if u.access() != OpAccess::None
                    && !replaces(u)
                    && gpr_bit(u.register()).is_some_and(|b| live & b != 0)
                {
                    return false;
                }
            }
            for u in inf.used_registers() {
                if let (true, Some(b)) = (replaces(u), gpr_bit(u.register())) {
                    live &= !b;
                }
            }
            let f = ins.rflags_written() | ins.rflags_cleared() | ins.rflags_set();
            if f & STATUS == STATUS {
                live &= !FLAGS;
            }
            match ins.flow_control() {
                FlowControl::Next => {}
                FlowControl::UnconditionalBranch if jumps < MAX_JUMPS => {
                    jumps += 1;
                    at = ins.near_branch_target() as usize;
                    break;
                }
                FlowControl::Return => {
                    let rax = gpr_bit(Register::RAX).unwrap_or(0);
                    return live & rax == 0;
                }
                _ => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `jae +T; <gap>; <access>` followed by a target block `<target>`: returns the code
    /// and the offsets (site, target, start of the gap).
    fn layout(gap: &[u8], access: &[u8], target: &[u8]) -> (Vec<u8>, u32, u32, u32) {
        let mut code = vec![0x90; 4]; // nops before the branch
        let branch_end = code.len() as u32 + 6;
        let site = branch_end + gap.len() as u32;
        let tgt = site + access.len() as u32 + 1; // after the access and a `ret`
        let rel = (tgt - branch_end) as i32;
        code.extend_from_slice(&[0x0f, 0x83]);
        code.extend_from_slice(&rel.to_le_bytes());
        code.extend_from_slice(gap);
        code.extend_from_slice(access);
        code.push(0xc3);
        code.extend_from_slice(target);
        (code, site, tgt, branch_end)
    }

    // mov 0x28(%rsp),%rcx
    const RELOAD_RCX: &[u8] = &[0x48, 0x8b, 0x4c, 0x24, 0x28];
    // mov %r12b,(%rax,%rcx,1)
    const STORE: &[u8] = &[0x44, 0x88, 0x24, 0x08];
    // mov %rcx,0x8(%rdi)
    const WRITE_BACK_RCX: &[u8] = &[0x48, 0x89, 0x4f, 0x08];
    // mov $5,%eax ; ret
    const EXIT: &[u8] = &[0xb8, 0x05, 0x00, 0x00, 0x00, 0xc3];

    fn pad(gap: &[u8], target: &[u8]) -> Option<(u32, u32)> {
        let (code, site, tgt, b) = layout(gap, STORE, target);
        let r = find(&code, site, &[0, b, tgt]);
        if let Some((s, t)) = r {
            assert_eq!((s, t), (b, tgt));
        }
        r
    }

    #[test]
    fn an_access_right_after_its_branch_has_a_pad() {
        assert!(pad(&[], &[WRITE_BACK_RCX, EXIT].concat()).is_some());
    }

    #[test]
    fn a_reload_of_a_register_the_target_reads_loses_the_pad() {
        assert!(pad(RELOAD_RCX, &[WRITE_BACK_RCX, EXIT].concat()).is_none());
    }

    #[test]
    fn a_reload_of_a_register_the_target_replaces_first_keeps_it() {
        // mov 0x30(%rsp),%rcx (the target reloads rcx itself before writing it back)
        let reload = [0x48, 0x8b, 0x4c, 0x24, 0x30];
        assert!(pad(RELOAD_RCX, &[&reload[..], WRITE_BACK_RCX, EXIT].concat()).is_some());
        // ... but not when it writes only part of it first (mov $1,%cl).
        let partial = [0xb1, 0x01];
        assert!(pad(RELOAD_RCX, &[&partial[..], WRITE_BACK_RCX, EXIT].concat()).is_none());
    }

    #[test]
    fn the_return_value_register_is_read_at_the_return() {
        // mov 0x28(%rsp),%rax in the gap; the target returns without setting eax.
        let reload_rax = [0x48, 0x8b, 0x44, 0x24, 0x28];
        assert!(pad(&reload_rax, &[0xc3]).is_none());
        assert!(pad(&reload_rax, EXIT).is_some());
    }

    #[test]
    fn windows_that_store_branch_or_move_the_stack_lose_the_pad() {
        // mov %r11,0x20(%rsp)
        assert!(pad(&[0x4c, 0x89, 0x5c, 0x24, 0x20], EXIT).is_none());
        // add $8,%rsp
        assert!(pad(&[0x48, 0x83, 0xc4, 0x08], EXIT).is_none());
        // je +0
        assert!(pad(&[0x74, 0x00], EXIT).is_none());
        // a load from guest memory: mov (%rdx),%rcx
        assert!(pad(&[0x48, 0x8b, 0x0a], EXIT).is_none());
    }

    #[test]
    fn flags_the_window_sets_must_not_be_read_by_the_target() {
        // shr $8,%r8 (writes r8 and the flags); the target then branches on the flags.
        let shr = [0x49, 0xc1, 0xe8, 0x08];
        assert!(pad(&shr, EXIT).is_some());
        let mut jcc_first = vec![0x74, 0x00];
        jcc_first.extend_from_slice(EXIT);
        assert!(pad(&shr, &jcc_first).is_none());
    }

    #[test]
    fn jumps_in_the_target_are_followed() {
        // jmp +4 ; (4 bytes of junk) ; write back rcx ; exit
        let mut t = vec![0xeb, 0x04, 0x0f, 0x0b, 0x0f, 0x0b];
        t.extend_from_slice(WRITE_BACK_RCX);
        t.extend_from_slice(EXIT);
        assert!(pad(RELOAD_RCX, &t).is_none());
        let mut t = vec![0xeb, 0x04, 0x0f, 0x0b, 0x0f, 0x0b];
        t.extend_from_slice(&[0x48, 0x8b, 0x4c, 0x24, 0x30]);
        t.extend_from_slice(WRITE_BACK_RCX);
        t.extend_from_slice(EXIT);
        assert!(pad(RELOAD_RCX, &t).is_some());
    }

    #[test]
    fn the_branch_must_end_right_before_the_window() {
        let (mut code, site, tgt, b) = layout(RELOAD_RCX, STORE, EXIT);
        code[b as usize - 6] = 0x90;
        assert!(find(&code, site, &[0, b, tgt]).is_none());
        // A block start inside the gap: the access's block starts there, and the
        // bytes before it are no branch.
        let (code, site, tgt, b) = layout(RELOAD_RCX, STORE, EXIT);
        assert!(find(&code, site, &[0, b, b + 2, tgt]).is_none());
    }
}
