//! The interpreter's two dispatches agree: random instruction sequences (every decode-table
//! line with random operand bits, and random compressed encodings) run once with the
//! specialised handlers of `interp::run_block` and once through the semantic function pointers
//! only; registers, pc, instret, memory, CSR accesses and exceptions must be identical.

mod common;

use common::{Machine, BASE, DATA, SIZE};
use translator::emit::Width;
use translator::interp::{Interp, Kind, NoEnv};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

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
        let mut fast = Machine::new();
        let mut slow = Machine::new();
        slow.engine.set_generic_only(true);
        let n = 1 + rng.below(24);
        for _ in 0..n {
            match rng.below(8) {
                0 => {
                    // Any 16-bit encoding (low bits 11 would be a 32-bit one).
                    let h = (rng.next() as u16) & !3 | (rng.below(3) as u16);
                    fast.push_half(h);
                    slow.push_half(h);
                }
                1 => {
                    let (_, mask, bits) = entries[rng.below(entries.len() as u64) as usize];
                    let w = bits | (rng.next() as u32 & !mask);
                    fast.push_word(w);
                    slow.push_word(w);
                }
                _ => {
                    let (_, mask, bits) = hot[rng.below(hot.len() as u64) as usize];
                    let mut w = bits | (rng.next() as u32 & !mask);
                    if rng.below(2) == 0 {
                        // Small immediates: short forward branches that stay in the code,
                        // offsets that keep addresses in the data area.
                        w &= !(!mask & 0xfe00_0000);
                    }
                    fast.push_word(w);
                    slow.push_word(w);
                }
            }
        }
        fast.push("ecall");
        slow.push("ecall");
        for r in 1..32 {
            let v = match rng.below(6) {
                0 => rng.next(),
                1 => rng.below(64),
                _ => DATA + rng.below(0x100),
            };
            fast.set_x(r, v);
            slow.set_x(r, v);
        }
        for a in (DATA..DATA + 0x200).step_by(8) {
            let v = rng.next();
            fast.poke(a, v, Width::D);
            slow.poke(a, v, Width::D);
        }
        let (rf, rs) = (run(&mut fast), run(&mut slow));
        assert_eq!(rf, rs, "results differ");
        faults += rf.iter().filter(|r| r.is_err()).count() as u64;
        let (a, b) = (&fast.hart.cpu, &slow.hart.cpu);
        assert_eq!(a.x, b.x, "registers differ");
        assert_eq!(a.f, b.f);
        assert_eq!(
            (a.pc, a.instret, a.fflags, a.frm, a.reservation),
            (b.pc, b.instret, b.fflags, b.frm, b.reservation),
            "pc/instret/fp/reservation differ"
        );
        assert!(
            fast.hart.env.mem == slow.hart.env.mem,
            "memory differs ({} bytes at {BASE:#x})",
            SIZE
        );
        assert_eq!(fast.hart.env.csr_log, slow.hart.env.csr_log);
        assert_eq!(fast.hart.env.fence_i, slow.hart.env.fence_i);
        executed += a.instret;
    }
    // The runs did execute instructions, and ended in exceptions as well as by budget.
    assert!(executed > 40_000, "{executed}");
    assert!(faults > 3000, "{faults}");
}
