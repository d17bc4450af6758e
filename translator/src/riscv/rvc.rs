//! RV64C compressed instructions (RISC-V Unprivileged ISA 20191213, chapter 16, tables
//! 16.5-16.7): expansion of each 16-bit encoding to its 32-bit equivalent.
//!
//! Table-driven like `decode`: one 16-bit pattern line per instruction (most significant bit
//! first, `.` for "any", spaces ignored), each with a field-shuffle function that builds the
//! 32-bit instruction. Lines are tried in order: a line that overlaps a later one must either
//! match a strict subset of it (a special case listed before the general line) or be a
//! `reserved` line carving code points out of later lines; the tests check this.
//!
//! Reserved code points expand to `None` (an illegal instruction). HINTs (`c.nop` with a non-zero
//! immediate, `c.addi` with a zero immediate, `c.li`/`c.lui`/`c.mv`/`c.add`/`c.slli` with
//! `rd = x0`, `c.slli`/`c.srli`/`c.srai` with a zero shift) expand to the 32-bit instruction the
//! spec names, which has no architectural effect.

/// One line of the expansion table.
#[derive(Clone, Copy)]
pub struct Line {
    pub name: &'static str,
    pub mask: u16,
    pub bits: u16,
    /// Builds the 32-bit equivalent; `None` for a reserved code point.
    pub expand: fn(u16) -> Option<u32>,
}

/// Parses a 16-bit pattern such as `"100 0 ..... 00000 10"` into (mask, bits). Panics on a
/// malformed pattern (compile-time constants only, never guest data).
pub const fn parse_pattern16(p: &str) -> (u16, u16) {
    let (mask, bits) = crate::decode::parse_pattern_bits(p, 16);
    (mask as u16, bits as u16)
}

const fn line(name: &'static str, pattern: &str, expand: fn(u16) -> Option<u32>) -> Line {
    let (mask, bits) = parse_pattern16(pattern);
    Line {
        name,
        mask,
        bits,
        expand,
    }
}

//                                 f3  12 11:7  6:2  op
#[rustfmt::skip]
const TABLE: [Line; 46] = [
    // Quadrant 0
    line("reserved",   "000 00000000 ... 00", reserved), // nzuimm = 0 (includes 0x0000)
    line("c.addi4spn", "000 ........ ... 00", c_addi4spn),
    line("c.fld",      "001 ... ... .. ... 00", c_fld),
    line("c.lw",       "010 ... ... .. ... 00", c_lw),
    line("c.ld",       "011 ... ... .. ... 00", c_ld),
    line("reserved",   "100 ... ... .. ... 00", reserved),
    line("c.fsd",      "101 ... ... .. ... 00", c_fsd),
    line("c.sw",       "110 ... ... .. ... 00", c_sw),
    line("c.sd",       "111 ... ... .. ... 00", c_sd),
    // Quadrant 1
    line("c.nop",      "000 . 00000 ..... 01", c_addi), // imm != 0: HINT
    line("c.addi",     "000 . ..... ..... 01", c_addi), // imm = 0: HINT
    line("reserved",   "001 . 00000 ..... 01", reserved), // c.addiw rd = 0
    line("c.addiw",    "001 . ..... ..... 01", c_addiw),
    line("c.li",       "010 . ..... ..... 01", c_li), // rd = 0: HINT
    line("reserved",   "011 0 ..... 00000 01", reserved), // c.lui / c.addi16sp imm = 0
    line("c.addi16sp", "011 . 00010 ..... 01", c_addi16sp),
    line("c.lui",      "011 . ..... ..... 01", c_lui), // rd = 0: HINT
    line("c.srli",     "100 . 00 ... ..... 01", c_srli), // shamt = 0: HINT
    line("c.srai",     "100 . 01 ... ..... 01", c_srai), // shamt = 0: HINT
    line("c.andi",     "100 . 10 ... ..... 01", c_andi),
    line("c.sub",      "100 0 11 ... 00 ... 01", c_sub),
    line("c.xor",      "100 0 11 ... 01 ... 01", c_xor),
    line("c.or",       "100 0 11 ... 10 ... 01", c_or),
    line("c.and",      "100 0 11 ... 11 ... 01", c_and),
    line("c.subw",     "100 1 11 ... 00 ... 01", c_subw),
    line("c.addw",     "100 1 11 ... 01 ... 01", c_addw),
    line("reserved",   "100 1 11 ... 1. ... 01", reserved),
    line("c.j",        "101 ........... 01", c_j),
    line("c.beqz",     "110 ........... 01", c_beqz),
    line("c.bnez",     "111 ........... 01", c_bnez),
    // Quadrant 2
    line("c.slli",     "000 . ..... ..... 10", c_slli), // rd = 0 or shamt = 0: HINT
    line("c.fldsp",    "001 . ..... ..... 10", c_fldsp),
    line("reserved",   "010 . 00000 ..... 10", reserved), // c.lwsp rd = 0
    line("c.lwsp",     "010 . ..... ..... 10", c_lwsp),
    line("reserved",   "011 . 00000 ..... 10", reserved), // c.ldsp rd = 0
    line("c.ldsp",     "011 . ..... ..... 10", c_ldsp),
    line("reserved",   "100 0 00000 00000 10", reserved), // c.jr rs1 = 0
    line("c.jr",       "100 0 ..... 00000 10", c_jr),
    line("c.mv",       "100 0 ..... ..... 10", c_mv), // rd = 0: HINT
    line("c.ebreak",   "100 1 00000 00000 10", c_ebreak),
    line("c.jalr",     "100 1 ..... 00000 10", c_jalr),
    line("c.add",      "100 1 ..... ..... 10", c_add), // rd = 0: HINT
    line("c.fsdsp",    "101 ...... ..... 10", c_fsdsp),
    line("c.swsp",     "110 ...... ..... 10", c_swsp),
    line("c.sdsp",     "111 ...... ..... 10", c_sdsp),
    // Quadrant 3 is the 32-bit encoding space: never a compressed instruction.
    line("not compressed", ".............. 11", reserved),
];

/// The expansion table, in match order (for tests and the disassembler).
pub fn table() -> &'static [Line] {
    &TABLE
}

/// The table line a halfword matches.
pub fn lookup(h: u16) -> Option<&'static Line> {
    TABLE.iter().find(|l| h & l.mask == l.bits)
}

/// Expands a 16-bit compressed instruction to its 32-bit equivalent; `None` if reserved.
pub fn expand(h: u16) -> Option<u32> {
    lookup(h).and_then(|l| (l.expand)(h))
}

// ---- fields of the 16-bit encoding ----

/// Bits `hi..=lo` of `h`.
#[inline(always)]
fn f(h: u16, hi: u32, lo: u32) -> u32 {
    (u32::from(h) >> lo) & ((1 << (hi - lo + 1)) - 1)
}
/// Full register in 11:7.
fn rd(h: u16) -> u32 {
    f(h, 11, 7)
}
/// Full register in 6:2.
fn rs2(h: u16) -> u32 {
    f(h, 6, 2)
}
/// Popular register x8..x15 in 9:7 (rs1' / rd').
fn r97(h: u16) -> u32 {
    8 + f(h, 9, 7)
}
/// Popular register x8..x15 in 4:2 (rd' / rs2').
fn r42(h: u16) -> u32 {
    8 + f(h, 4, 2)
}
/// Sign-extends the low `n` bits of `v`.
fn sext(v: u32, n: u32) -> i32 {
    ((v << (32 - n)) as i32) >> (32 - n)
}
/// The 6-bit immediate of CI instructions: imm[5] in 12, imm[4:0] in 6:2, sign-extended.
fn ci_imm(h: u16) -> i32 {
    sext(f(h, 12, 12) << 5 | f(h, 6, 2), 6)
}
/// The 6-bit shift amount: shamt[5] in 12, shamt[4:0] in 6:2.
fn shamt(h: u16) -> u32 {
    f(h, 12, 12) << 5 | f(h, 6, 2)
}
/// CL/CS doubleword offset: uimm[5:3] in 12:10, uimm[7:6] in 6:5.
fn uimm_cl_d(h: u16) -> i32 {
    (f(h, 12, 10) << 3 | f(h, 6, 5) << 6) as i32
}
/// CL/CS word offset: uimm[5:3] in 12:10, uimm[2] in 6, uimm[6] in 5.
fn uimm_cl_w(h: u16) -> i32 {
    (f(h, 12, 10) << 3 | f(h, 6, 6) << 2 | f(h, 5, 5) << 6) as i32
}
/// CI stack doubleword offset: uimm[5] in 12, uimm[4:3] in 6:5, uimm[8:6] in 4:2.
fn uimm_ci_d(h: u16) -> i32 {
    (f(h, 12, 12) << 5 | f(h, 6, 5) << 3 | f(h, 4, 2) << 6) as i32
}
/// CI stack word offset: uimm[5] in 12, uimm[4:2] in 6:4, uimm[7:6] in 3:2.
fn uimm_ci_w(h: u16) -> i32 {
    (f(h, 12, 12) << 5 | f(h, 6, 4) << 2 | f(h, 3, 2) << 6) as i32
}
/// CSS stack doubleword offset: uimm[5:3] in 12:10, uimm[8:6] in 9:7.
fn uimm_css_d(h: u16) -> i32 {
    (f(h, 12, 10) << 3 | f(h, 9, 7) << 6) as i32
}
/// CSS stack word offset: uimm[5:2] in 12:9, uimm[7:6] in 8:7.
fn uimm_css_w(h: u16) -> i32 {
    (f(h, 12, 9) << 2 | f(h, 8, 7) << 6) as i32
}
/// CJ offset: imm[11|4|9:8|10|6|7|3:1|5] in 12:2, sign-extended.
fn cj_imm(h: u16) -> i32 {
    let v = f(h, 12, 12) << 11
        | f(h, 11, 11) << 4
        | f(h, 10, 9) << 8
        | f(h, 8, 8) << 10
        | f(h, 7, 7) << 6
        | f(h, 6, 6) << 7
        | f(h, 5, 3) << 1
        | f(h, 2, 2) << 5;
    sext(v, 12)
}
/// CB branch offset: imm[8|4:3] in 12:10, imm[7:6|2:1|5] in 6:2, sign-extended.
fn cb_imm(h: u16) -> i32 {
    let v =
        f(h, 12, 12) << 8 | f(h, 11, 10) << 3 | f(h, 6, 5) << 6 | f(h, 4, 3) << 1 | f(h, 2, 2) << 5;
    sext(v, 9)
}

// ---- 32-bit encoders (unprivileged spec, section 2.3) ----

const LOAD: u32 = 0x03;
const LOAD_FP: u32 = 0x07;
const OP_IMM: u32 = 0x13;
const OP_IMM_32: u32 = 0x1b;
const STORE: u32 = 0x23;
const STORE_FP: u32 = 0x27;
const OP: u32 = 0x33;
const LUI: u32 = 0x37;
const OP_32: u32 = 0x3b;
const BRANCH: u32 = 0x63;
const JALR: u32 = 0x67;
const JAL: u32 = 0x6f;

fn enc_r(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}
fn enc_i(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    (imm as u32) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}
fn enc_s(imm: i32, rs2: u32, rs1: u32, f3: u32, op: u32) -> u32 {
    let imm = imm as u32;
    (imm >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 0x1f) << 7 | op
}
fn enc_b(imm: i32, rs2: u32, rs1: u32, f3: u32, op: u32) -> u32 {
    let imm = imm as u32;
    (imm >> 12 & 1) << 31
        | (imm >> 5 & 0x3f) << 25
        | rs2 << 20
        | rs1 << 15
        | f3 << 12
        | (imm >> 1 & 0xf) << 8
        | (imm >> 11 & 1) << 7
        | op
}
fn enc_j(imm: i32, rd: u32, op: u32) -> u32 {
    let imm = imm as u32;
    (imm >> 20 & 1) << 31
        | (imm >> 1 & 0x3ff) << 21
        | (imm >> 11 & 1) << 20
        | (imm >> 12 & 0xff) << 12
        | rd << 7
        | op
}

// ---- expansions ----

fn reserved(_h: u16) -> Option<u32> {
    None
}

/// `addi rd', x2, nzuimm`: nzuimm[5:4|9:6|2|3] in 12:5.
fn c_addi4spn(h: u16) -> Option<u32> {
    let imm = f(h, 12, 11) << 4 | f(h, 10, 7) << 6 | f(h, 6, 6) << 2 | f(h, 5, 5) << 3;
    Some(enc_i(imm as i32, 2, 0, r42(h), OP_IMM))
}
fn c_fld(h: u16) -> Option<u32> {
    Some(enc_i(uimm_cl_d(h), r97(h), 3, r42(h), LOAD_FP))
}
fn c_lw(h: u16) -> Option<u32> {
    Some(enc_i(uimm_cl_w(h), r97(h), 2, r42(h), LOAD))
}
fn c_ld(h: u16) -> Option<u32> {
    Some(enc_i(uimm_cl_d(h), r97(h), 3, r42(h), LOAD))
}
fn c_fsd(h: u16) -> Option<u32> {
    Some(enc_s(uimm_cl_d(h), r42(h), r97(h), 3, STORE_FP))
}
fn c_sw(h: u16) -> Option<u32> {
    Some(enc_s(uimm_cl_w(h), r42(h), r97(h), 2, STORE))
}
fn c_sd(h: u16) -> Option<u32> {
    Some(enc_s(uimm_cl_d(h), r42(h), r97(h), 3, STORE))
}

/// `addi rd, rd, imm` (also `c.nop`: `addi x0, x0, imm`).
fn c_addi(h: u16) -> Option<u32> {
    Some(enc_i(ci_imm(h), rd(h), 0, rd(h), OP_IMM))
}
fn c_addiw(h: u16) -> Option<u32> {
    Some(enc_i(ci_imm(h), rd(h), 0, rd(h), OP_IMM_32))
}
/// `addi rd, x0, imm`.
fn c_li(h: u16) -> Option<u32> {
    Some(enc_i(ci_imm(h), 0, 0, rd(h), OP_IMM))
}
/// `addi x2, x2, nzimm`: nzimm[9] in 12, nzimm[4|6|8:7|5] in 6:2.
fn c_addi16sp(h: u16) -> Option<u32> {
    let v =
        f(h, 12, 12) << 9 | f(h, 6, 6) << 4 | f(h, 5, 5) << 6 | f(h, 4, 3) << 7 | f(h, 2, 2) << 5;
    Some(enc_i(sext(v, 10), 2, 0, 2, OP_IMM))
}
/// `lui rd, nzimm`: nzimm[17] in 12, nzimm[16:12] in 6:2, sign-extended.
fn c_lui(h: u16) -> Option<u32> {
    let imm = (ci_imm(h) as u32) << 12;
    Some(imm | rd(h) << 7 | LUI)
}
fn c_srli(h: u16) -> Option<u32> {
    Some(enc_i(shamt(h) as i32, r97(h), 5, r97(h), OP_IMM))
}
fn c_srai(h: u16) -> Option<u32> {
    Some(enc_i((0x400 | shamt(h)) as i32, r97(h), 5, r97(h), OP_IMM))
}
fn c_andi(h: u16) -> Option<u32> {
    Some(enc_i(ci_imm(h), r97(h), 7, r97(h), OP_IMM))
}
fn c_sub(h: u16) -> Option<u32> {
    Some(enc_r(0x20, r42(h), r97(h), 0, r97(h), OP))
}
fn c_xor(h: u16) -> Option<u32> {
    Some(enc_r(0, r42(h), r97(h), 4, r97(h), OP))
}
fn c_or(h: u16) -> Option<u32> {
    Some(enc_r(0, r42(h), r97(h), 6, r97(h), OP))
}
fn c_and(h: u16) -> Option<u32> {
    Some(enc_r(0, r42(h), r97(h), 7, r97(h), OP))
}
fn c_subw(h: u16) -> Option<u32> {
    Some(enc_r(0x20, r42(h), r97(h), 0, r97(h), OP_32))
}
fn c_addw(h: u16) -> Option<u32> {
    Some(enc_r(0, r42(h), r97(h), 0, r97(h), OP_32))
}
/// `jal x0, offset`.
fn c_j(h: u16) -> Option<u32> {
    Some(enc_j(cj_imm(h), 0, JAL))
}
/// `beq rs1', x0, offset`.
fn c_beqz(h: u16) -> Option<u32> {
    Some(enc_b(cb_imm(h), 0, r97(h), 0, BRANCH))
}
fn c_bnez(h: u16) -> Option<u32> {
    Some(enc_b(cb_imm(h), 0, r97(h), 1, BRANCH))
}

fn c_slli(h: u16) -> Option<u32> {
    Some(enc_i(shamt(h) as i32, rd(h), 1, rd(h), OP_IMM))
}
fn c_fldsp(h: u16) -> Option<u32> {
    Some(enc_i(uimm_ci_d(h), 2, 3, rd(h), LOAD_FP))
}
fn c_lwsp(h: u16) -> Option<u32> {
    Some(enc_i(uimm_ci_w(h), 2, 2, rd(h), LOAD))
}
fn c_ldsp(h: u16) -> Option<u32> {
    Some(enc_i(uimm_ci_d(h), 2, 3, rd(h), LOAD))
}
/// `jalr x0, 0(rs1)`.
fn c_jr(h: u16) -> Option<u32> {
    Some(enc_i(0, rd(h), 0, 0, JALR))
}
/// `add rd, x0, rs2`.
fn c_mv(h: u16) -> Option<u32> {
    Some(enc_r(0, rs2(h), 0, 0, rd(h), OP))
}
fn c_ebreak(_h: u16) -> Option<u32> {
    Some(0x0010_0073)
}
/// `jalr x1, 0(rs1)`.
fn c_jalr(h: u16) -> Option<u32> {
    Some(enc_i(0, rd(h), 0, 1, JALR))
}
/// `add rd, rd, rs2`.
fn c_add(h: u16) -> Option<u32> {
    Some(enc_r(0, rs2(h), rd(h), 0, rd(h), OP))
}
fn c_fsdsp(h: u16) -> Option<u32> {
    Some(enc_s(uimm_css_d(h), rs2(h), 2, 3, STORE_FP))
}
fn c_swsp(h: u16) -> Option<u32> {
    Some(enc_s(uimm_css_w(h), rs2(h), 2, 2, STORE))
}
fn c_sdsp(h: u16) -> Option<u32> {
    Some(enc_s(uimm_css_d(h), rs2(h), 2, 3, STORE))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines are tried in order, so a line overlapping a later one must match a strict subset
    /// of it (a special case listed before the general line), or be a reserved line carving
    /// code points out of later lines (`c.lui`/`c.addi16sp` with a zero immediate).
    #[test]
    fn lines_overlap_only_as_strict_subsets_listed_first() {
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[i + 1..] {
                let overlap = (a.bits ^ b.bits) & a.mask & b.mask == 0;
                if overlap && a.name != "reserved" {
                    let a_in_b = a.mask & b.mask == b.mask && a.bits & b.mask == b.bits;
                    assert!(
                        a_in_b && a.mask != b.mask,
                        "{} ({:#06x}/{:#06x}) overlaps later {} ({:#06x}/{:#06x}) without being a strict subset",
                        a.name, a.bits, a.mask, b.name, b.bits, b.mask
                    );
                }
            }
        }
    }

    #[test]
    fn every_halfword_matches_a_line() {
        for h in 0..=u16::MAX {
            assert!(lookup(h).is_some(), "{h:#06x} matches no line");
        }
    }

    #[test]
    fn reserved_lines_expand_to_none() {
        for h in 0..=u16::MAX {
            if let Some(l) = lookup(h) {
                let reserved = l.name == "reserved" || l.name == "not compressed";
                assert_eq!(expand(h).is_none(), reserved, "{h:#06x} ({})", l.name);
            }
        }
    }

    #[test]
    fn expansions_keep_their_fields() {
        // c.addi4spn a0, sp, 1020 (all nzuimm bits set): 0x1fe8 -> addi a0, sp, 1020.
        assert_eq!(expand(0x1fe8), Some(0x3fc1_0513));
        // c.j -2048 (most negative) from the assembler: 0xb001 -> jal x0, -2048.
        assert_eq!(expand(0xb001), Some(0x801f_f06f));
    }
}
