//! Fuzz target: whole runs of random code bytes through the Linux execution loop under an
//! instruction limit: no panic, no hang past the limit, and both engines end the same way
//! after the same number of instructions when the run ends by a fault.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runtime::linux::{self, Engine, Exit, Options};
use translator::jit::{JitConfig, OptLevel};
use xlate_fuzz::*;

const LIMIT: u64 = 20_000;

fuzz_target!(|data: &[u8]| {
    let (regs, d, code) = split(data);
    let mut out = Vec::new();
    for engine in [
        Engine::Interp,
        Engine::Jit(JitConfig {
            jit_threshold: 2,
            // As `xlate run` compiles.
            opt_level: OptLevel::Speed,
            ..JitConfig::default()
        }),
    ] {
        let Some(mut p) = guest(code, d, Options::default()) else {
            return;
        };
        p.limits.max_instructions = Some(LIMIT);
        let Ok((exit, stats, _)) = alarm_kept(|| linux::run(p, cpu(regs), engine)) else {
            return;
        };
        if let Exit::Limit(_) = exit {
            assert!(stats.instructions < LIMIT + 4096, "ran past the limit");
        }
        out.push((exit, stats.instructions));
    }
    if let [(Exit::Signal(a), na), (Exit::Signal(b), nb)] = out[..] {
        assert_eq!((a, na), (b, nb), "engines disagree");
    }
});
