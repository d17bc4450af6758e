//! Fuzz target: decoder and instruction semantics. Random instruction words run in the
//! interpreter and in the JIT (translating every block at once) from the same state; when
//! both stop at an exception, the exception, pc, instret, registers and data must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runtime::linux::Options;
use translator::interp::{Interp, InterpEngine};
use translator::jit::{JitConfig, JitEngine, OptLevel};
use xlate_fuzz::*;

const BUDGET: u64 = 2000;

fuzz_target!(|data: &[u8]| {
    let (regs, d, code) = split(data);
    let (Some(p1), Some(p2)) = (
        guest(code, d, Options::default()),
        guest(code, d, Options::default()),
    ) else {
        return;
    };
    let mut a = Interp::new(cpu(regs), p1);
    let mut ie = InterpEngine::new();
    let ra = ie.run(&mut a, BUDGET);

    // Both optimisation levels (`xlate run` compiles at `speed`), picked by the input.
    let opt_level = if data.len() % 2 == 0 {
        OptLevel::Speed
    } else {
        OptLevel::None
    };
    let Ok(mut jit) = JitEngine::new(JitConfig {
        jit_threshold: 1,
        verify: true,
        opt_level,
        ..JitConfig::default()
    }) else {
        return;
    };
    let mut b = Interp::new(cpu(regs), p2);
    let rb = jit.run(&mut b, BUDGET);
    // A translation the verifier rejects runs interpreted (with the same results): only this
    // count shows it.
    assert_eq!(jit.stats.compile_failures, 0, "compile failures");

    // A run stopped by the budget (a loop) stops at a block boundary, which the engines may
    // draw differently: only runs ending in an exception are compared.
    if let (Err(ea), Err(eb)) = (ra, rb) {
        assert_eq!(ea, eb, "exception");
        assert_eq!(a.cpu.pc, b.cpu.pc, "pc");
        assert_eq!(a.cpu.instret, b.cpu.instret, "instret");
        assert_eq!(a.cpu.x, b.cpu.x, "x registers");
        assert_eq!(a.cpu.f, b.cpu.f, "f registers");
        assert_eq!(a.cpu.fflags, b.cpu.fflags, "fflags");
        assert_eq!(a.cpu.frm, b.cpu.frm, "frm");
        let (mut ma, mut mb) = (vec![0u8; DATA_LEN as usize], vec![0u8; DATA_LEN as usize]);
        let _ = a.env.mem.read_bytes(DATA, &mut ma);
        let _ = b.env.mem.read_bytes(DATA, &mut mb);
        assert!(ma == mb, "data memory");
    }
});
