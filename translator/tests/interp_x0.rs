//! The interpreter's specialised handlers and `x0`: an ALU instruction whose destination is
//! `x0` does nothing (its handler is a no-op) and a load to `x0` still reads memory, and may
//! fault, but never changes `x0` (the specialised handlers write registers without checking
//! for `x0`, so instructions with `rd = x0` must not reach them). With and without inline
//! memory access, and against the generic dispatch.

use crate::common;

use common::{Machine, DATA};
use translator::emit::Width;
use translator::{Cause, Exception};

fn i_type(op: u32, f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op
}
fn r_type(op: u32, f3: u32, f7: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op
}

/// Writes to `x0` by every kind of specialised instruction that has a destination, each
/// followed by an instruction that reads `x0`, then a load to `x0` from an address below
/// the memory (a load access fault).
fn program(m: &mut Machine) {
    let code = [
        i_type(0x13, 0, 0, 5, 1),     // addi x0, x5, 1
        i_type(0x13, 0, 20, 0, 3),    // addi x20, x0, 3
        0x1234_5037,                  // lui x0, 0x12345
        r_type(0x33, 0, 0, 21, 0, 5), // add x21, x0, x5
        r_type(0x33, 0, 0, 0, 5, 6),  // add x0, x5, x6
        r_type(0x33, 0, 0, 22, 0, 0), // add x22, x0, x0
        i_type(0x1b, 0, 0, 5, 7),     // addiw x0, x5, 7
        i_type(0x13, 1, 0, 5, 4),     // slli x0, x5, 4
        i_type(0x13, 6, 23, 0, 0x70), // ori x23, x0, 0x70
        i_type(0x03, 3, 0, 11, 0),    // ld x0, 0(x11): reads memory
        r_type(0x33, 0, 0, 24, 0, 5), // add x24, x0, x5
        i_type(0x03, 4, 0, 11, 8),    // lbu x0, 8(x11)
        i_type(0x03, 2, 0, 12, 0),    // lw x0, 0(x12): crosses a page
        r_type(0x33, 6, 0, 25, 0, 0), // or x25, x0, x0
        i_type(0x03, 3, 0, 15, 0),    // ld x0, 0(x15): below the memory, faults
        i_type(0x13, 0, 26, 0, 9),    // addi x26, x0, 9 (never reached)
    ];
    for w in code {
        m.push_word(w);
    }
    m.push("ecall");
    m.set_x(5, 0x55).set_x(6, 0x66).set_x(11, DATA);
    m.set_x(12, DATA + 0xffe).set_x(15, 0x100);
    m.poke(DATA, u64::MAX, Width::D);
    m.poke(DATA + 8, 0xff, Width::D);
}

#[test]
fn writes_to_x0_leave_it_zero_in_every_dispatch() {
    for (inline, generic) in [(false, false), (true, false), (false, true)] {
        let mut m = Machine::new();
        program(&mut m);
        if inline {
            m.hart.env.offer_fast_memory();
        }
        m.engine.set_generic_only(generic);
        let e = m.run();
        let case = format!("inline {inline}, generic {generic}");
        assert_eq!(e, Exception::new(Cause::LoadAccessFault, 0x100), "{case}");
        assert_eq!(m.hart.cpu.pc, common::BASE + 14 * 4, "{case}");
        assert_eq!(m.hart.cpu.instret, 14, "{case}");
        assert_eq!(m.x(0), 0, "{case}");
        assert_eq!(
            (
                m.x(20),
                m.x(21),
                m.x(22),
                m.x(23),
                m.x(24),
                m.x(25),
                m.x(26)
            ),
            (3, 0x55, 0, 0x70, 0x55, 0, 0),
            "{case}"
        );
    }
}
