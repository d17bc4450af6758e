//! Table-driven decoding: one pattern line per instruction, as in the ISA manual.
//!
//! An extension registers its instructions with [`Table::add`]: a mnemonic, a 32-character bit
//! pattern (`0`, `1`, `.` for "any", spaces ignored; most significant bit first), the immediate
//! format, whether the instruction ends a block, and its semantic function. Compressed
//! instructions are expanded to their 32-bit equivalents first (see `riscv::rvc`) and decoded by
//! the same table. A word that matches no line is an illegal instruction, never a silent no-op.

use crate::{emit::Emitter, Cause, Exception};

/// Semantic function of one instruction, for an emitter `E`.
pub type Sem<E> = fn(&mut E, &Insn) -> Result<(), Exception>;

/// How the immediate of an instruction is encoded (RISC-V unprivileged spec, section 2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imm {
    None,
    /// I-type: bits 31:20, sign-extended.
    I,
    /// S-type: bits 31:25 and 11:7, sign-extended.
    S,
    /// B-type: branch offset, sign-extended, multiple of 2.
    B,
    /// U-type: bits 31:12 << 12, sign-extended from bit 31.
    U,
    /// J-type: jump offset, sign-extended, multiple of 2.
    J,
    /// 6-bit shift amount in bits 25:20 (RV64 shifts).
    Shamt6,
    /// 5-bit shift amount in bits 24:20 (W shifts).
    Shamt5,
    /// CSR number in bits 31:20, unsigned (the 5-bit `uimm` is the `rs1` field).
    Csr,
}

/// A decoded instruction: its fields, extracted once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// The 32-bit encoding (the expansion for a compressed instruction).
    pub raw: u32,
    /// The original 16-bit encoding of a compressed instruction, 0 otherwise.
    pub raw16: u16,
    /// Length in bytes: 2 or 4.
    pub len: u8,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    /// Bits 31:27 (fused multiply-add third source).
    pub rs3: u8,
    /// Bits 14:12 (`funct3`; the rounding mode of floating-point instructions).
    pub rm: u8,
    /// The immediate, decoded according to the instruction's `Imm` format.
    pub imm: i64,
}

impl Insn {
    /// The bits of the instruction as fetched (16 bits for compressed instructions).
    pub fn bits(&self) -> u64 {
        if self.len == 2 {
            self.raw16 as u64
        } else {
            self.raw as u64
        }
    }
    /// Acquire / release bits of an AMO.
    pub fn aq(&self) -> bool {
        self.raw >> 26 & 1 != 0
    }
    pub fn rl(&self) -> bool {
        self.raw >> 25 & 1 != 0
    }
}

fn bits(raw: u32, hi: u32, lo: u32) -> u32 {
    (raw >> lo) & ((1u32 << (hi - lo + 1)) - 1)
}

fn sext(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

impl Imm {
    pub fn extract(self, raw: u32) -> i64 {
        match self {
            Imm::None => 0,
            Imm::I => (raw as i32 >> 20) as i64,
            Imm::S => sext((bits(raw, 31, 25) << 5 | bits(raw, 11, 7)) as u64, 12),
            Imm::B => sext(
                (bits(raw, 31, 31) << 12
                    | bits(raw, 7, 7) << 11
                    | bits(raw, 30, 25) << 5
                    | bits(raw, 11, 8) << 1) as u64,
                13,
            ),
            Imm::U => (raw & 0xffff_f000) as i32 as i64,
            Imm::J => sext(
                (bits(raw, 31, 31) << 20
                    | bits(raw, 19, 12) << 12
                    | bits(raw, 20, 20) << 11
                    | bits(raw, 30, 21) << 1) as u64,
                21,
            ),
            Imm::Shamt6 => bits(raw, 25, 20) as i64,
            Imm::Shamt5 => bits(raw, 24, 20) as i64,
            Imm::Csr => bits(raw, 31, 20) as i64,
        }
    }
}

/// One line of the decode table.
pub struct Entry<E> {
    pub name: &'static str,
    pub mask: u32,
    pub bits: u32,
    pub imm: Imm,
    /// The instruction ends a block (branches, jumps, traps, `fence.i`).
    pub ends_block: bool,
    pub sem: Sem<E>,
}

// Manual impls: `E` itself need not be Clone.
impl<E> Clone for Entry<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for Entry<E> {}

/// Parses a pattern such as `"0000000 ..... ..... 000 ..... 0110011"` into (mask, bits).
/// Panics on a malformed pattern: patterns are compile-time constants of this crate, checked by
/// the table tests, never guest data.
pub const fn parse_pattern(p: &str) -> (u32, u32) {
    parse_pattern_bits(p, 32)
}

/// Parses a pattern of exactly `width` bits (at most 32; most significant bit first: `0`, `1`,
/// `.` for "any", spaces and `_` ignored) into (mask, bits). Shared by the 32-bit table and the
/// 16-bit compressed-instruction table.
pub const fn parse_pattern_bits(p: &str, width: u32) -> (u32, u32) {
    let b = p.as_bytes();
    let mut mask = 0u32;
    let mut val = 0u32;
    let mut n = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'0' => {
                mask = mask << 1 | 1;
                val <<= 1;
                n += 1;
            }
            b'1' => {
                mask = mask << 1 | 1;
                val = val << 1 | 1;
                n += 1;
            }
            b'.' => {
                mask <<= 1;
                val <<= 1;
                n += 1;
            }
            b' ' | b'_' => {}
            _ => panic!("bad character in decode pattern"),
        }
        i += 1;
    }
    assert!(n == width, "decode pattern has the wrong number of bits");
    (mask, val)
}

/// The decode table for one emitter type.
pub struct Table<E> {
    /// Entries bucketed by the low 7 bits (the major opcode), most specific first.
    buckets: Vec<Vec<Entry<E>>>,
}

impl<E: Emitter> Default for Table<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Emitter> Table<E> {
    /// An empty table (see `riscv::table` for the full RV64GC table).
    pub fn new() -> Self {
        Self {
            buckets: (0..128).map(|_| Vec::new()).collect(),
        }
    }

    /// Adds one instruction. `ends_block` marks branches, jumps and traps.
    pub fn add(
        &mut self,
        name: &'static str,
        pattern: &str,
        imm: Imm,
        ends_block: bool,
        sem: Sem<E>,
    ) {
        let (mask, bits) = parse_pattern(pattern);
        assert!(
            mask & 0x7f == 0x7f,
            "pattern for {name} must fix the major opcode"
        );
        let bucket = &mut self.buckets[(bits & 0x7f) as usize];
        bucket.push(Entry {
            name,
            mask,
            bits,
            imm,
            ends_block,
            sem,
        });
        bucket.sort_by_key(|e| std::cmp::Reverse(e.mask.count_ones()));
    }

    /// All entries, for tests and the disassembler.
    pub fn entries(&self) -> impl Iterator<Item = &Entry<E>> {
        self.buckets.iter().flatten()
    }

    /// Finds the entry for a 32-bit instruction word.
    pub fn lookup(&self, raw: u32) -> Option<&Entry<E>> {
        self.buckets[(raw & 0x7f) as usize]
            .iter()
            .find(|e| raw & e.mask == e.bits)
    }

    /// Decodes the instruction whose first 16 bits are `lo` and, for a 32-bit instruction, whose
    /// upper 16 bits `hi` returns (called only when needed, so a fetch fault past the end of a
    /// page is reported only for 32-bit instructions).
    pub fn decode<F>(&self, lo: u16, hi: F) -> Result<Decoded<E>, DecodeError>
    where
        F: FnOnce() -> Result<u16, Exception>,
    {
        let (raw, raw16, len) = if lo & 3 == 3 {
            let hi = hi().map_err(DecodeError::Fetch)?;
            (u32::from(hi) << 16 | u32::from(lo), 0, 4)
        } else {
            match crate::riscv::rvc::expand(lo) {
                Some(raw) => (raw, lo, 2),
                None => return Ok(Decoded::illegal(lo as u32, lo, 2)),
            }
        };
        Ok(match self.lookup(raw) {
            Some(e) => Decoded {
                insn: Insn {
                    raw,
                    raw16,
                    len,
                    rd: bits(raw, 11, 7) as u8,
                    rs1: bits(raw, 19, 15) as u8,
                    rs2: bits(raw, 24, 20) as u8,
                    rs3: bits(raw, 31, 27) as u8,
                    rm: bits(raw, 14, 12) as u8,
                    imm: e.imm.extract(raw),
                },
                name: e.name,
                ends_block: e.ends_block,
                sem: e.sem,
            },
            None => Decoded::illegal(raw, raw16, len),
        })
    }
}

/// Why decoding stopped without an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fetching the instruction's bits faulted.
    Fetch(Exception),
}

/// A decoded instruction bound to its semantic function.
pub struct Decoded<E> {
    pub insn: Insn,
    pub name: &'static str,
    pub ends_block: bool,
    pub sem: Sem<E>,
}

impl<E> Clone for Decoded<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for Decoded<E> {}

impl<E: Emitter> Decoded<E> {
    /// An encoding that matches no table line: executing it raises illegal instruction with the
    /// instruction bits as trap value.
    pub fn illegal(raw: u32, raw16: u16, len: u8) -> Self {
        Decoded {
            insn: Insn {
                raw,
                raw16,
                len,
                rd: 0,
                rs1: 0,
                rs2: 0,
                rs3: 0,
                rm: 0,
                imm: 0,
            },
            name: "illegal",
            ends_block: true,
            sem: illegal::<E>,
        }
    }
}

/// Semantics of an undefined encoding.
pub fn illegal<E: Emitter>(e: &mut E, i: &Insn) -> Result<(), Exception> {
    Err(e.trap(Cause::IllegalInstruction, i.bits()))
}
