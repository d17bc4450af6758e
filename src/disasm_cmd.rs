//! `xlate disasm`: disassembles the code of a riscv64 ELF file with capstone (RISC-V RV64GC),
//! labelled with the symbols of the ELF symbol table, in the layout of `objdump -d`. Capstone
//! is only the printer: where it does not know an instruction (Zba/Zbb/Zbs in capstone 5) the
//! line shows the name xlate's own decoder gives it, so both views of the code are visible.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use capstone::arch::riscv::{ArchExtraMode, ArchMode};
use capstone::arch::{BuildsCapstone, BuildsCapstoneExtraMode};
use capstone::Capstone;
use object::{Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};
use translator::decode::Table;
use translator::interp::{Interp, NoEnv};
use translator::{Cause, Exception};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  xlate disasm testsuites/linux/bin/tool_demo                  every executable section
  xlate disasm --addr main testsuites/linux/bin/tool_demo      one function, by symbol
  xlate disasm --addr 0x10120 --count 8 prog                   8 instructions from an address")]
pub struct DisasmArgs {
    /// Start at this address (hex with 0x, decimal, or a symbol name such as `main`); without
    /// --count the listing runs to the end of the symbol there (or 16 instructions).
    #[arg(long, value_name = "A")]
    addr: Option<String>,
    /// Number of instructions to disassemble.
    #[arg(long, value_name = "N")]
    count: Option<usize>,
    /// The riscv64 ELF file.
    #[arg(value_name = "PROGRAM")]
    program: PathBuf,
}

/// Exit status: the file cannot be read or is not a riscv64 ELF.
const EXIT_BAD_FILE: u8 = 126;

pub fn disasm(args: DisasmArgs) -> ExitCode {
    let mut out = String::new();
    match listing(&args, &mut out) {
        Ok(()) => {
            use std::io::Write;
            let mut so = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = so.write_all(out.as_bytes()).and_then(|()| so.flush());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xlate: disasm: {e:#}");
            ExitCode::from(EXIT_BAD_FILE)
        }
    }
}

/// xlate's decoder, for naming instructions.
pub struct OwnDecoder(Table<Interp<NoEnv>>);

impl OwnDecoder {
    pub fn new() -> Self {
        Self(translator::riscv::table())
    }
    /// The decoder's name and length of the instruction at the start of `code` (`None` when
    /// `code` is too short for it). Undefined encodings are named `illegal`.
    pub fn decode(&self, code: &[u8]) -> Option<(&'static str, usize)> {
        let lo = u16::from_le_bytes([*code.first()?, *code.get(1)?]);
        let hi = || -> Result<u16, Exception> {
            match (code.get(2), code.get(3)) {
                (Some(&a), Some(&b)) => Ok(u16::from_le_bytes([a, b])),
                _ => Err(Exception::new(Cause::InstructionAccessFault, 0)),
            }
        };
        let d = self.0.decode(lo, hi).ok()?;
        Some((d.name, usize::from(d.insn.len)))
    }
}

/// Capstone for RV64GC guest code.
pub fn riscv_capstone() -> Result<Capstone> {
    Capstone::new()
        .riscv()
        .mode(ArchMode::RiscV64)
        .extra_mode(std::iter::once(ArchExtraMode::RiscVC))
        .build()
        .map_err(|e| anyhow!("cannot start capstone: {e}"))
}

/// Capstone for x86-64 host code.
pub fn x86_capstone() -> Result<Capstone> {
    use capstone::arch::x86::ArchMode as X;
    use capstone::arch::BuildsCapstoneSyntax;
    Capstone::new()
        .x86()
        .mode(X::Mode64)
        .syntax(capstone::arch::x86::ArchSyntax::Att)
        .build()
        .map_err(|e| anyhow!("cannot start capstone: {e}"))
}

/// Appends the disassembly of host code `code` at `addr` to `s`, one instruction per line
/// (address, bytes, mnemonic, operands), or capstone's error.
pub fn write_host_code(cs: &Capstone, code: &[u8], addr: u64, s: &mut String) {
    use std::fmt::Write as _;
    match cs.disasm_all(code, addr) {
        Ok(insns) => {
            for i in insns.iter() {
                let hex: String = i.bytes().iter().map(|x| format!("{x:02x}")).collect();
                let _ = writeln!(
                    s,
                    "{:x}:\t{hex:<20}\t{}\t{}",
                    i.address(),
                    i.mnemonic().unwrap_or("?"),
                    i.op_str().unwrap_or("")
                );
            }
        }
        Err(e) => {
            let _ = writeln!(s, "(capstone: {e})");
        }
    }
}

/// The code of an ELF file: executable sections and function/label symbols.
struct Image {
    /// (name, start address, bytes) of each executable section.
    sections: Vec<(String, u64, Vec<u8>)>,
    /// Address -> name of the symbols that label code (functions first if several).
    symbols: BTreeMap<u64, String>,
    /// Address -> end of the function symbols with a size.
    sym_end: BTreeMap<u64, u64>,
}

fn load(path: &Path) -> Result<Image> {
    let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file = object::File::parse(&*data)
        .map_err(|e| anyhow!("{} is not an ELF file: {e}", path.display()))?;
    if file.architecture() != object::Architecture::Riscv64 {
        bail!(
            "{} is not a riscv64 program ({:?})",
            path.display(),
            file.architecture()
        );
    }
    let mut sections = Vec::new();
    for s in file.sections() {
        if s.kind() != SectionKind::Text {
            continue;
        }
        let bytes = s
            .data()
            .map_err(|e| anyhow!("cannot read section {}: {e}", s.name().unwrap_or("?")))?;
        sections.push((
            s.name().unwrap_or("?").to_string(),
            s.address(),
            bytes.to_vec(),
        ));
    }
    let mut symbols = BTreeMap::new();
    let mut sym_end = BTreeMap::new();
    for sym in file.symbols() {
        let Ok(name) = sym.name() else { continue };
        // Mapping symbols and local labels ($x, .L...) are not names anyone looks for.
        if name.is_empty() || name.starts_with('$') || name.starts_with(".L") {
            continue;
        }
        match sym.kind() {
            SymbolKind::Text => {
                symbols.insert(sym.address(), name.to_string());
                if sym.size() > 0 {
                    sym_end.insert(sym.address(), sym.address() + sym.size());
                }
            }
            SymbolKind::Label | SymbolKind::Unknown if sym.section_index().is_some() => {
                let in_text = sym
                    .section_index()
                    .and_then(|i| file.section_by_index(i).ok())
                    .is_some_and(|s| s.kind() == SectionKind::Text);
                if in_text {
                    symbols.entry(sym.address()).or_insert(name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(Image {
        sections,
        symbols,
        sym_end,
    })
}

/// The code symbols of a riscv64 ELF file (address -> name, link addresses).
pub fn code_symbols(path: &Path) -> Result<BTreeMap<u64, String>> {
    Ok(load(path)?.symbols)
}

/// Parses `--addr`: a number (0x hex or decimal) or a symbol name.
fn parse_addr(s: &str, img: &Image) -> Result<u64> {
    let s = s.trim();
    let num = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    };
    if let Some(n) = num {
        return Ok(n);
    }
    img.symbols
        .iter()
        .find(|(_, n)| n.as_str() == s)
        .map(|(a, _)| *a)
        .ok_or_else(|| anyhow!("no symbol named '{s}' and not an address"))
}

/// `name+0xoff` for an address inside a known symbol, as perf maps and profiles show it.
pub fn symbolize(symbols: &BTreeMap<u64, String>, addr: u64) -> Option<String> {
    let (a, n) = symbols.range(..=addr).next_back()?;
    Some(if *a == addr {
        n.clone()
    } else {
        format!("{n}+{:#x}", addr - a)
    })
}

fn listing(args: &DisasmArgs, out: &mut String) -> Result<()> {
    let img = load(&args.program)?;
    if img.sections.is_empty() {
        bail!("{} has no executable sections", args.program.display());
    }
    let cs = riscv_capstone()?;
    let own = OwnDecoder::new();
    match &args.addr {
        None => {
            for (name, start, bytes) in &img.sections {
                let _ = writeln!(out, "\nDisassembly of section {name}:");
                dis_range(&cs, &own, &img, *start, bytes, args.count, out);
            }
        }
        Some(a) => {
            let addr = parse_addr(a, &img)?;
            let Some((_, start, bytes)) = img
                .sections
                .iter()
                .find(|(_, s, b)| addr >= *s && addr < s + b.len() as u64)
            else {
                bail!("address {addr:#x} is not in an executable section");
            };
            let off = (addr - start) as usize;
            let (bytes, count) = match (args.count, img.sym_end.get(&addr)) {
                (Some(n), _) => (&bytes[off..], Some(n)),
                (None, Some(&end)) => {
                    let stop = ((end - start) as usize).min(bytes.len());
                    (&bytes[off..stop], None)
                }
                (None, None) => (&bytes[off..], Some(16)),
            };
            dis_range(&cs, &own, &img, addr, bytes, count, out);
        }
    }
    Ok(())
}

/// One listing line per instruction from `addr`, with a label line where a symbol starts.
fn dis_range(
    cs: &Capstone,
    own: &OwnDecoder,
    img: &Image,
    addr: u64,
    bytes: &[u8],
    count: Option<usize>,
    out: &mut String,
) {
    let mut off = 0usize;
    let mut n = 0usize;
    while off < bytes.len() && count.is_none_or(|c| n < c) {
        let pc = addr + off as u64;
        if let Some(name) = img.symbols.get(&pc) {
            let _ = writeln!(out, "\n{pc:016x} <{name}>:");
        }
        let len = dis_one(cs, own, &bytes[off..], pc, &img.symbols, out);
        off += len;
        n += 1;
    }
}

/// Disassembles one instruction at `pc` into `out`; returns its length (2 for undecodable
/// halfwords, so the listing resynchronises as objdump's does).
pub fn dis_one(
    cs: &Capstone,
    own: &OwnDecoder,
    code: &[u8],
    pc: u64,
    symbols: &BTreeMap<u64, String>,
    out: &mut String,
) -> usize {
    let hex = |b: &[u8]| -> String {
        // Little-endian halfword or word, as objdump prints instructions.
        b.iter().rev().map(|x| format!("{x:02x}")).collect()
    };
    if let Ok(insns) = cs.disasm_count(code, pc, 1) {
        if let Some(i) = insns.iter().next() {
            let len = i.len();
            let mut text = i.mnemonic().unwrap_or("?").to_string();
            if let Some(ops) = i.op_str().filter(|o| !o.is_empty()) {
                text.push('\t');
                text.push_str(ops);
            }
            if let Some(target) = branch_target(i.mnemonic().unwrap_or(""), i.op_str(), pc) {
                if let Some(s) = symbolize(symbols, target) {
                    let _ = write!(text, "\t# {target:x} <{s}>");
                }
            }
            let _ = writeln!(out, "{pc:8x}:\t{:<8}\t{text}", hex(&code[..len]));
            return len;
        }
    }
    match own.decode(code) {
        Some((name, len)) if name != "illegal" => {
            let _ = writeln!(
                out,
                "{pc:8x}:\t{:<8}\t{name}\t# (xlate's decoder; capstone does not know it)",
                hex(&code[..len])
            );
            len
        }
        _ => {
            let len = if code.len() >= 4 && code[0] & 3 == 3 {
                4
            } else {
                2.min(code.len())
            };
            let _ = writeln!(out, "{pc:8x}:\t{:<8}\t.insn\t# illegal", hex(&code[..len]));
            len.max(1)
        }
    }
}

/// The target of a pc-relative jump or branch, from capstone's operand text (the last operand
/// is the offset from `pc`).
fn branch_target(mnemonic: &str, ops: Option<&str>, pc: u64) -> Option<u64> {
    let m = mnemonic.trim_start_matches("c.");
    let is_branch = matches!(
        m,
        "jal" | "j" | "beq" | "bne" | "blt" | "bge" | "bltu" | "bgeu" | "beqz" | "bnez"
    );
    if !is_branch {
        return None;
    }
    let last = ops?.rsplit(',').next()?.trim();
    let off: i64 = if let Some(h) = last.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(h) = last.strip_prefix("-0x") {
        -i64::from_str_radix(h, 16).ok()?
    } else {
        last.parse().ok()?
    };
    Some(pc.wrapping_add(off as u64))
}
