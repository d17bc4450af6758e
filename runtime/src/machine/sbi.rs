//! The built-in SBI firmware of `xlate boot --bios none`: the monitor answers `ecall`s made
//! from S-mode itself instead of running M-mode firmware (RISC-V Supervisor Binary Interface
//! Specification v2.0: Base, TIME, IPI, RFENCE, HSM, SRST, DBCN and the legacy extensions
//! 0x00-0x08).

use translator::emit::Width;
use translator::CpuState;

use super::hart::{Hart, IRQ_SSI};
use crate::devices::Finish;

pub const EXT_BASE: u64 = 0x10;
pub const EXT_TIME: u64 = 0x5449_4d45;
pub const EXT_IPI: u64 = 0x73_5049;
pub const EXT_RFENCE: u64 = 0x5246_4e43;
pub const EXT_HSM: u64 = 0x48_534d;
pub const EXT_SRST: u64 = 0x5352_5354;
pub const EXT_DBCN: u64 = 0x4442_434e;

const SUCCESS: i64 = 0;
const ERR_FAILED: i64 = -1;
const ERR_NOT_SUPPORTED: i64 = -2;
const ERR_INVALID_PARAM: i64 = -3;
const ERR_ALREADY_AVAILABLE: i64 = -6;

/// SBI specification version reported: 2.0.
const SPEC_VERSION: u64 = 2 << 24;
/// Implementation ID (unregistered; "xl").
pub const IMPL_ID: u64 = 0x786c;

/// Longest debug-console write handled in one call.
const DBCN_MAX: u64 = 4096;

/// Handles the SBI call in a7/a6/a0.. and writes a0 (and a1) back. The caller advances `pc`.
pub fn call(hart: &mut Hart, cpu: &mut CpuState) {
    let (eid, fid) = (cpu.x[17], cpu.x[16]);
    let (a0, a1, a2) = (cpu.x[10], cpu.x[11], cpu.x[12]);
    // Legacy extensions return one value in a0.
    if eid <= 0x08 {
        let ret: i64 = match eid {
            0x00 => {
                hart.bus.clint.stimecmp = a0;
                hart.request_stop();
                0
            }
            0x01 => {
                putchar(hart, a0 as u8);
                0
            }
            0x02 => hart
                .bus
                .board
                .as_mut()
                .and_then(|b| b.pop_input())
                .map_or(-1, i64::from),
            0x03 => {
                hart.set_pending(IRQ_SSI, false);
                0
            }
            0x04 => {
                if hart_mask_has_0(hart, a0, 0) {
                    hart.set_pending(IRQ_SSI, true);
                }
                0
            }
            0x05..=0x07 => {
                hart.flush_translations();
                0
            }
            _ => {
                finish(hart, Finish::Poweroff(0));
                0
            }
        };
        cpu.x[10] = ret as u64;
        return;
    }
    let (err, val): (i64, u64) = match (eid, fid) {
        (EXT_BASE, 0) => (SUCCESS, SPEC_VERSION),
        (EXT_BASE, 1) => (SUCCESS, IMPL_ID),
        (EXT_BASE, 2) => (SUCCESS, 1),
        (EXT_BASE, 3) => (SUCCESS, u64::from(supported(a0))),
        (EXT_BASE, 4..=6) => (SUCCESS, 0),
        (EXT_TIME, 0) => {
            hart.bus.clint.stimecmp = a0;
            hart.request_stop();
            (SUCCESS, 0)
        }
        (EXT_IPI, 0) => {
            if hart_mask_has_0(hart, a0, a1) {
                hart.set_pending(IRQ_SSI, true);
            }
            (SUCCESS, 0)
        }
        (EXT_RFENCE, 0..=2) => {
            hart.flush_translations();
            (SUCCESS, 0)
        }
        (EXT_RFENCE, _) => (ERR_NOT_SUPPORTED, 0),
        (EXT_HSM, 0) => (
            if a0 == 0 {
                ERR_ALREADY_AVAILABLE
            } else {
                ERR_INVALID_PARAM
            },
            0,
        ),
        (EXT_HSM, 1) => (ERR_FAILED, 0),
        (EXT_HSM, 2) => {
            if a0 == 0 {
                (SUCCESS, 0) // STARTED
            } else {
                (ERR_INVALID_PARAM, 0)
            }
        }
        (EXT_SRST, 0) => match a0 {
            0 => {
                finish(hart, Finish::Poweroff(u32::from(a1 != 0)));
                (SUCCESS, 0)
            }
            1 | 2 => {
                finish(hart, Finish::Reset);
                (SUCCESS, 0)
            }
            _ => (ERR_INVALID_PARAM, 0),
        },
        (EXT_DBCN, 0) => {
            // write(num_bytes, base_lo, base_hi): physical memory.
            let n = a0.min(DBCN_MAX);
            let mut bytes = Vec::with_capacity(n as usize);
            for i in 0..n {
                match hart.bus.ram_slice(a1.wrapping_add(i), 1) {
                    Some(b) => bytes.extend_from_slice(b),
                    None => break,
                }
            }
            if bytes.is_empty() && n > 0 || a2 != 0 {
                (ERR_INVALID_PARAM, 0)
            } else {
                for &b in &bytes {
                    putchar(hart, b);
                }
                (SUCCESS, bytes.len() as u64)
            }
        }
        (EXT_DBCN, 1) => {
            // read(num_bytes, base_lo, base_hi)
            let mut n = 0;
            while n < a0.min(DBCN_MAX) {
                let Some(b) = hart.bus.board.as_mut().and_then(|b| b.pop_input()) else {
                    break;
                };
                if hart
                    .bus
                    .write(a1.wrapping_add(n), u64::from(b), Width::B)
                    .is_none()
                {
                    break;
                }
                n += 1;
            }
            (SUCCESS, n)
        }
        (EXT_DBCN, 2) => {
            putchar(hart, a0 as u8);
            (SUCCESS, 0)
        }
        _ => (ERR_NOT_SUPPORTED, 0),
    };
    cpu.x[10] = err as u64;
    cpu.x[11] = val;
}

/// Extensions the built-in firmware implements.
pub fn supported(eid: u64) -> bool {
    matches!(
        eid,
        0x00..=0x08 | EXT_BASE | EXT_TIME | EXT_IPI | EXT_RFENCE | EXT_HSM | EXT_SRST | EXT_DBCN
    )
}

/// Whether a hart mask (`mask`, `base`; base -1 means all harts) includes hart 0. The legacy
/// call passes a pointer to the mask instead; `base` is 0 there and `mask` a physical address.
fn hart_mask_has_0(hart: &mut Hart, mask: u64, base: u64) -> bool {
    if base == u64::MAX {
        return true;
    }
    if base != 0 {
        return false;
    }
    mask & 1 != 0 || {
        // Legacy: a pointer to the mask (0 = all harts).
        mask > 1 && hart.bus.ram_slice(mask, 8).is_some_and(|b| b[0] & 1 != 0)
    }
}

fn putchar(hart: &mut Hart, b: u8) {
    if let Some(board) = hart.bus.board.as_mut() {
        board.uart.tx.push(b);
    }
}

fn finish(hart: &mut Hart, f: Finish) {
    if let Some(board) = hart.bus.board.as_mut() {
        board.test.finish.get_or_insert(f);
    }
    hart.request_stop();
}
