//! The interpreter's in-block links: a taken branch or the block's final `jal` whose target is
//! an instruction of the same block goes on there (skipping forward, or looping backward while
//! the budget lasts) instead of leaving the block. Registers, memory, `pc` and `instret` at
//! every exception must be those of the generic dispatch (which never links), and every run
//! that returns `Ok` must have retired at least its budget; with block chaining on and off.

use crate::common;

use common::{Machine, BASE, DATA};
use translator::{Cause, Exception};

fn i_type(op: u32, f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op
}
fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 0, rd, rs1, imm)
}
fn andi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 7, rd, rs1, imm)
}
fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x03, 3, rd, rs1, imm)
}
fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 5 & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (3 << 12) | ((imm & 0x1f) << 7) | 0x23
}
fn branch(f3: u32, rs1: u32, rs2: u32, off: i32) -> u32 {
    let o = off as u32;
    ((o >> 12 & 1) << 31)
        | ((o >> 5 & 0x3f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | ((o >> 1 & 0xf) << 8)
        | ((o >> 11 & 1) << 7)
        | 0x63
}
fn jal(rd: u32, off: i32) -> u32 {
    let o = off as u32;
    ((o >> 20 & 1) << 31)
        | ((o >> 1 & 0x3ff) << 21)
        | ((o >> 11 & 1) << 20)
        | ((o >> 12 & 0xff) << 12)
        | (rd << 7)
        | 0x6f
}

/// One block (decoded from `BASE`) with a forward skip, a backward conditional loop and a
/// loop closed by the block's final `jal`; the loads and stores run with and without inline
/// memory access.
fn program(m: &mut Machine) {
    let code = [
        addi(5, 0, 7),        // 0: x5 = 7
        addi(6, 6, 3),        // 4: loop head (op 1)
        andi(9, 5, 1),        // 8
        branch(0, 9, 0, 8),   // 12: beq x9, x0, 20: forward skip in the block
        addi(8, 8, 1),        // 16
        ld(12, 7, 0),         // 20
        addi(12, 12, 1),      // 24
        sd(12, 7, 0),         // 28
        addi(5, 5, -1),       // 32
        branch(1, 5, 0, -32), // 36: bne x5, x0, 4: backward, in the block
        addi(10, 0, 2),       // 40
        addi(11, 11, 5),      // 44: second loop head
        addi(10, 10, -1),     // 48
        branch(0, 10, 0, 12), // 52: beq x10, x0, 64: out of the block
        jal(0, -12),          // 56: jal 44: ends the block, back into it
        0,                    // 60: (never reached)
    ];
    for w in code {
        m.push_word(w);
    }
    assert_eq!(m.code_end, BASE + 64);
    m.push("ecall"); // 64
    m.set_x(7, DATA);
}

/// Instructions before the `ecall`: 1 + 7 iterations of 8 (+1 for the 4 odd counts), then
/// 1 + 4 + 3 for the second loop.
const RETIRED: u64 = 1 + 7 * 8 + 4 + 1 + 4 + 3;

#[test]
fn in_block_links_agree_with_generic_dispatch_at_every_budget() {
    for budget in 1..=(RETIRED + 2) {
        for (inline, chains) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut linked = Machine::new();
            let mut generic = Machine::new();
            generic.engine.set_generic_only(true);
            for m in [&mut linked, &mut generic] {
                program(m);
                m.hart.env.chains = chains;
                if inline {
                    m.hart.env.offer_fast_memory();
                }
            }
            let mut ends = Vec::new();
            for m in [&mut linked, &mut generic] {
                let mut calls = 0;
                let e = loop {
                    let before = m.hart.cpu.instret;
                    match m.engine.run(&mut m.hart, budget) {
                        Ok(()) => assert!(
                            m.hart.cpu.instret >= before + budget,
                            "budget {budget}: returned after {} instructions",
                            m.hart.cpu.instret - before
                        ),
                        Err(e) => break e,
                    }
                    calls += 1;
                    assert!(calls <= RETIRED, "budget {budget}: no end");
                };
                ends.push(e);
            }
            for e in &ends {
                assert_eq!(*e, Exception::new(Cause::EcallFromU, 0));
            }
            let (a, b) = (&linked.hart.cpu, &generic.hart.cpu);
            assert_eq!(a.x, b.x, "budget {budget}: registers differ");
            assert_eq!((a.pc, a.instret), (BASE + 64, RETIRED), "budget {budget}");
            assert_eq!((b.pc, b.instret), (BASE + 64, RETIRED), "budget {budget}");
            assert_eq!(
                (a.x[5], a.x[6], a.x[8], a.x[10], a.x[11]),
                (0, 21, 4, 0, 10)
            );
            assert_eq!(linked.peek(DATA, translator::emit::Width::D), 7);
            assert!(linked.hart.env.mem == generic.hart.env.mem);
        }
    }
}

/// Budgets that end inside a loop of the block stop there, at a block boundary of the
/// generic dispatch too: the loop's branch back counts as leaving the block.
#[test]
fn a_loop_in_a_block_stops_at_its_budget() {
    let mut m = Machine::new();
    program(&mut m);
    m.hart.env.chains = true;
    // After the first instruction and one iteration (9 instructions, as the count is odd),
    // the loop's branch back is where the run may stop.
    m.engine.run(&mut m.hart, 5).expect("no exception yet");
    assert_eq!(m.hart.cpu.pc, BASE + 4);
    assert_eq!(m.hart.cpu.instret, 1 + 9);
    // Then from the block at the loop head, one even iteration (8 instructions).
    m.engine.run(&mut m.hart, 1).expect("no exception yet");
    assert_eq!(m.hart.cpu.pc, BASE + 4);
    assert_eq!(m.hart.cpu.instret, 1 + 9 + 8);
    assert_eq!(m.x(5), 5);
}
