//! The interpreter's dispatches agree: random instruction sequences (every decode-table
//! line with random operand bits, and random compressed encodings) run with the specialised
//! handlers of `interp::run_block`, again with them and an environment that offers its memory
//! for inline loads and stores (`Env::fast_memory`), and once through the semantic function
//! pointers only; registers, pc, instret, memory, CSR accesses and exceptions must be
//! identical.

use crate::common;

use common::{Machine, Rng, BASE, DATA, SIZE};
use translator::emit::Width;
use translator::interp::{Interp, Kind, NoEnv};

/// Runs `m` for a few budgets; returns what each call returned.
fn run(m: &mut Machine) -> Vec<Result<(), translator::Exception>> {
    let mut out = Vec::new();
    for _ in 0..4 {
        let r = m.engine.run(&mut m.hart, 40);
        let stop = r.is_err();
        out.push(r);
        if stop {
            break;
        }
    }
    out
}

#[test]
fn specialised_names_are_table_lines() {
    let table = translator::riscv::table::<Interp<NoEnv>>();
    for name in Kind::NAMES {
        assert!(
            table.entries().any(|e| e.name == *name),
            "{name} has a specialised handler but no decode-table line"
        );
        assert_ne!(Kind::of(name), Kind::Generic);
    }
    assert_eq!(Kind::of("mul"), Kind::Generic);
}

#[test]
fn specialised_and_generic_dispatch_agree() {
    let table = translator::riscv::table::<Interp<NoEnv>>();
    let entries: Vec<_> = table.entries().map(|e| (e.name, e.mask, e.bits)).collect();
    // Lines the specialised handlers cover, drawn more often so each one runs many times.
    let hot: Vec<_> = entries
        .iter()
        .filter(|(n, _, _)| Kind::of(n) != Kind::Generic)
        .copied()
        .collect();
    assert_eq!(hot.len(), Kind::NAMES.len());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut executed = 0u64;
    let mut faults = 0u64;
    for _ in 0..10_000 {
        // Specialised handlers; the same with inline memory access; semantic functions only.
        let mut ms = [Machine::new(), Machine::new(), Machine::new()];
        ms[1].hart.env.offer_fast_memory();
        ms[2].engine.set_generic_only(true);
        let n = 1 + rng.below(24);
        for _ in 0..n {
            match rng.below(8) {
                0 => {
                    // Any 16-bit encoding (low bits 11 would be a 32-bit one).
                    let h = (rng.next() as u16) & !3 | (rng.below(3) as u16);
                    ms.iter_mut().for_each(|m| m.push_half(h));
                }
                1 => {
                    let (_, mask, bits) = entries[rng.below(entries.len() as u64) as usize];
                    let w = bits | (rng.next() as u32 & !mask);
                    ms.iter_mut().for_each(|m| m.push_word(w));
                }
                _ => {
                    let (_, mask, bits) = hot[rng.below(hot.len() as u64) as usize];
                    let mut w = bits | (rng.next() as u32 & !mask);
                    if rng.below(2) == 0 {
                        // Small immediates: short forward branches that stay in the code,
                        // offsets that keep addresses in the data area.
                        w &= !(!mask & 0xfe00_0000);
                    }
                    ms.iter_mut().for_each(|m| m.push_word(w));
                }
            }
        }
        ms.iter_mut().for_each(|m| m.push("ecall"));
        for r in 1..32 {
            let v = match rng.below(6) {
                0 => rng.next(),
                1 => rng.below(64),
                _ => DATA + rng.below(0x100),
            };
            ms.iter_mut().for_each(|m| {
                m.set_x(r, v);
            });
        }
        for a in (DATA..DATA + 0x200).step_by(8) {
            let v = rng.next();
            ms.iter_mut().for_each(|m| {
                m.poke(a, v, Width::D);
            });
        }
        let results: Vec<_> = ms.iter_mut().map(run).collect();
        let [fast, inline, slow] = &ms;
        let rs = &results[2];
        for (m, r) in [(fast, &results[0]), (inline, &results[1])] {
            assert_eq!(r, rs, "results differ");
            let (a, b) = (&m.hart.cpu, &slow.hart.cpu);
            assert_eq!(a.x, b.x, "registers differ");
            assert_eq!(a.f, b.f);
            assert_eq!(
                (a.pc, a.instret, a.fflags, a.frm, a.reservation),
                (b.pc, b.instret, b.fflags, b.frm, b.reservation),
                "pc/instret/fp/reservation differ"
            );
            assert!(
                m.hart.env.mem == slow.hart.env.mem,
                "memory differs ({} bytes at {BASE:#x})",
                SIZE
            );
            assert_eq!(m.hart.env.csr_log, slow.hart.env.csr_log);
            assert_eq!(m.hart.env.fence_i, slow.hart.env.fence_i);
        }
        faults += rs.iter().filter(|r| r.is_err()).count() as u64;
        executed += slow.hart.cpu.instret;
    }
    // The runs did execute instructions, and ended in exceptions as well as by budget.
    assert!(executed > 40_000, "{executed}");
    assert!(faults > 3000, "{faults}");
}

/// With `Env::fast_memory`, loads and stores inside permitted pages do not call the
/// environment; stores to a page holding code, and accesses outside the pages, do (and fault
/// there exactly as without it).
#[test]
fn inline_memory_access_and_its_exceptions() {
    let ld = |rd: u32, rs1: u32, imm: u32| imm << 20 | rs1 << 15 | 3 << 12 | rd << 7 | 0x03;
    let sd = |rs2: u32, rs1: u32, imm: u32| {
        (imm >> 5) << 25 | rs2 << 20 | rs1 << 15 | 3 << 12 | (imm & 31) << 7 | 0x23
    };
    let mut m = Machine::new();
    m.hart.env.offer_fast_memory();
    m.push_word(ld(10, 11, 0)); // a0 = [DATA]
    m.push_word(sd(10, 11, 8)); // [DATA + 8] = a0
    m.push_word(ld(12, 16, 0)); // crosses into the next page: through the environment
    m.push_word(sd(10, 13, 0)); // into the code page: through the environment
    m.push_word(ld(14, 15, 0)); // below the memory: a load access fault
    m.push("ecall");
    m.set_x(11, DATA).set_x(13, BASE + 0x100).set_x(15, 0x100);
    m.set_x(16, DATA + 0xffc);
    m.poke(DATA, 0x1122_3344_5566_7788, Width::D);
    m.poke(DATA + 0x1000, 0xaabb_ccdd, Width::D);
    let e = m.run();
    assert_eq!(
        e,
        translator::Exception::new(translator::Cause::LoadAccessFault, 0x100)
    );
    assert_eq!(m.hart.cpu.pc, BASE + 16);
    assert_eq!(m.hart.cpu.instret, 4);
    assert_eq!(m.x(10), 0x1122_3344_5566_7788);
    assert_eq!(m.peek(DATA + 8, Width::D), 0x1122_3344_5566_7788);
    assert_eq!(m.x(12), 0xaabb_ccdd << 32);
    assert_eq!(m.peek(BASE + 0x100, Width::D), 0x1122_3344_5566_7788);
    // The crossing load, the store to code and the faulting load went to the environment.
    assert_eq!(m.hart.env.accesses, 3);
}
