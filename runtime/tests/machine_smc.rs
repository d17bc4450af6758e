//! Self-modifying code on the bare-metal hart (RISC-V Unprivileged ISA 20191213, "Zifencei":
//! after `fence.i` a hart's instruction fetches see its own earlier stores): a program patches
//! two functions a round, one of them in an instruction on the second page it spans, and calls
//! them and an unpatched function on another page (machine_code SMC_*). Every engine must
//! run the patched code; the JIT must drop only the translations of the patched pages.

use crate::machine_code as code;
use runtime::machine::{Config, Engine, Limits, Machine, Outcome, RAM_BASE};
use translator::jit::JitConfig;

const TOHOST: u64 = 0x8000_1000;
const ROUNDS: u64 = 20;

fn place(m: &mut Machine, at: u64, words: &[u32]) {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    m.hart()
        .bus
        .ram_slice_mut(at, bytes.len() as u64)
        .expect("fits in RAM")
        .copy_from_slice(&bytes);
}

/// Runs the program for `ROUNDS` rounds; returns the machine after it passed.
fn run(engine: Engine) -> Machine {
    let mut m = Machine::new(&Config {
        ram_size: 1 << 20,
        engine,
        ..Config::default()
    })
    .expect("the engine starts");
    place(&mut m, RAM_BASE, code::SMC_MAIN);
    place(&mut m, RAM_BASE + 0x3000, code::SMC_F);
    place(&mut m, RAM_BASE + 0x5000, code::SMC_G);
    place(&mut m, RAM_BASE + 0x6ff8, code::SMC_H);
    m.hart().bus.htif.tohost = Some(TOHOST);
    m.interp.cpu.pc = RAM_BASE;
    m.interp.cpu.x[10] = ROUNDS;
    let o = m.run(Limits {
        max_instructions: 1_000_000,
        deadline: None,
    });
    assert_eq!(o, Outcome::Pass);
    // Round r (from 0) runs each function 3 times, F and H patched to add r + 1.
    let n = ROUNDS;
    let x = &m.interp.cpu.x;
    assert_eq!(x[10], 3 * n * (n + 1) / 2, "F ran stale code");
    assert_eq!(x[11], 3 * n, "G");
    assert_eq!(x[12], 3 * (n + n * (n + 1) / 2), "H ran stale code");
    // Rounds after the first patch pages code was fetched from.
    assert_eq!(m.hart().code_invalidations, ROUNDS - 1);
    assert_eq!(m.hart().code_flushes, 0);
    m
}

fn jit(threshold: u32, verify: bool, background: bool) -> Engine {
    Engine::Jit(JitConfig {
        jit_threshold: threshold,
        verify,
        background,
        ..JitConfig::default()
    })
}

#[test]
fn the_interpreter_runs_patched_code() {
    run(Engine::Interp);
}

/// Every block translated at its first run: each round, only the translations with code on
/// the patched pages (F's, and H's, which starts on the page before) are made again; MAIN's
/// and G's are kept.
#[test]
fn the_jit_translates_again_only_the_patched_pages() {
    let m = run(jit(1, false, false));
    let s = m.jit_stats().expect("the JIT ran");
    assert_eq!(s.flushes, 0, "{s:?}");
    assert_eq!(s.invalidations, ROUNDS - 1, "{s:?}");
    assert_eq!(s.interp_blocks, 0, "{s:?}");
    // MAIN, G and the first F and H: a handful of translations; then F and H once a round.
    // Dropping MAIN's or G's translations too would add at least one a round.
    assert!(
        (2 * ROUNDS..2 * ROUNDS + 12).contains(&s.blocks_translated),
        "{s:?}"
    );
}

/// Blocks interpreted by the JIT's engine (never hot enough to translate): the decoded
/// blocks of the patched pages are dropped too.
#[test]
fn the_jit_engine_interprets_patched_code() {
    let m = run(jit(1_000_000, false, false));
    let s = m.jit_stats().expect("the JIT ran");
    assert_eq!(s.blocks_translated, 0, "{s:?}");
}

/// Blocks turning hot inside a round (3 calls), compiled on the background thread while the
/// code is patched; and under lockstep verification (which flushes whole).
#[test]
fn the_jit_runs_patched_code_with_background_compiles_and_verification() {
    run(jit(2, false, true));
    run(jit(1, true, false));
}
