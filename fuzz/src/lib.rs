//! Shared pieces of xlate's fuzz targets: a guest with one code page and one data page, made
//! from fuzzer bytes, that both engines can run from the same state.

use std::sync::Arc;

use runtime::linux::{Options, Process};
use runtime::mem::{prot, GuestMemory};
use translator::CpuState;

/// Where the fuzzed code and data live.
pub const CODE: u64 = 0x10000;
pub const CODE_LEN: u64 = 0x1000;
pub const DATA: u64 = 0x20000;
pub const DATA_LEN: u64 = 0x1000;

/// `ecall`: scrubbed from random code (random syscalls are the `syscalls` target's job).
pub const ECALL: u32 = 0x0000_0073;

/// A process whose code page holds `code` (then zeros: an illegal instruction ends the run)
/// and whose data page holds `data`.
pub fn guest(code: &[u8], data: &[u8], opts: Options) -> Option<Process> {
    let mem = Arc::new(GuestMemory::new().ok()?);
    mem.map_anon(CODE, CODE_LEN, prot::READ | prot::EXEC).ok()?;
    mem.map_anon(DATA, DATA_LEN, prot::READ | prot::WRITE)
        .ok()?;
    let mut code = code[..code.len().min(CODE_LEN as usize)].to_vec();
    for i in (0..code.len().saturating_sub(3)).step_by(2) {
        if code[i..i + 4] == ECALL.to_le_bytes() {
            code[i] = 0;
        }
    }
    mem.write_bytes_force(CODE, &code).ok()?;
    mem.write_bytes(DATA, &data[..data.len().min(DATA_LEN as usize)])
        .ok()?;
    Some(Process::new(mem, "/fuzz".into(), opts))
}

/// A CPU state at the code page with registers from `seed`: a few point into the data page
/// so loads and stores find memory.
pub fn cpu(seed: &[u8]) -> CpuState {
    let mut cpu = CpuState {
        pc: CODE,
        ..CpuState::default()
    };
    for (i, chunk) in seed.chunks(8).take(31).enumerate() {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        cpu.x[i + 1] = u64::from_le_bytes(b);
    }
    for r in [2usize, 8, 10, 11] {
        cpu.x[r] = DATA + (cpu.x[r] & (DATA_LEN - 8));
    }
    cpu
}

/// Splits fuzzer bytes into (registers, data, code).
pub fn split(data: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let regs = &data[..data.len().min(248)];
    let rest = &data[regs.len()..];
    let d = &rest[..rest.len().min(64)];
    (regs, d, &rest[d.len()..])
}

/// Runs `f` (a whole guest run through `runtime::linux::run`) with libFuzzer's `-timeout`
/// alarm kept from the guest ([`runtime::linux::signal::keep_from_guest`]).
///
/// libFuzzer checks for slow units on SIGALRM from an interval timer. A run takes over the
/// process's signals for the guest, so without this an alarm arriving during a run killed the
/// guest with SIGALRM: a run the other engine ended by a fault, and "engines disagree" for an
/// input that never reproduced alone (CI's bounded fuzzing of `random_code` failed so; here
/// 3 of 40 runs of 30 s did).
pub fn alarm_kept<R>(f: impl FnOnce() -> R) -> R {
    runtime::linux::signal::keep_from_guest(libc::SIGALRM, f)
}
