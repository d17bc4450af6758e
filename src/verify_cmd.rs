//! `xlate run --verify`: prints the report of the first difference lockstep verification
//! found between translated code and the interpreter (`translator::jit::verify`): the block,
//! the differing registers, flags and memory (expected from the interpreter, got from the
//! JIT), the block's guest code (capstone, RV64GC, with xlate's decoder names where capstone
//! does not know an instruction) and its host code (capstone, x86-64).

use std::fmt::Write as _;

use translator::jit::verify::Mismatch;

use crate::disasm_cmd;
use crate::trace_cmd::Symbols;

/// The report, as printed on stderr.
pub fn report(m: &Mismatch, symbols: &Symbols) -> String {
    let mut s = String::new();
    let name = disasm_cmd::symbolize(symbols, m.block_pc)
        .map(|n| format!(" <{n}>"))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "xlate: verify: translated block {:#x}{name} differs from the interpreter (entered at instret {})",
        m.block_pc, m.instret
    );
    let _ = writeln!(
        s,
        "xlate: verify: jit: {} instructions, left by {}; interpreter: {}",
        m.jit_insns, m.jit_exit, m.interp_end
    );
    for d in &m.diffs {
        let _ = writeln!(
            s,
            "xlate: verify:   {:<14} expected {}  got {}",
            d.what, d.expected, d.got
        );
    }
    let trace: Vec<String> = m.interp_trace.iter().map(|a| format!("{a:#x}")).collect();
    let _ = writeln!(
        s,
        "---- instructions run (interpreter): {}",
        trace.join(" ")
    );
    let _ = writeln!(s, "---- guest code of the block (riscv64)");
    let own = disasm_cmd::OwnDecoder::new();
    match disasm_cmd::riscv_capstone() {
        Ok(cs) => {
            for &(pc, bits, len) in &m.guest {
                let bytes = bits.to_le_bytes();
                disasm_cmd::dis_one(
                    &cs,
                    &own,
                    &bytes[..usize::from(len).min(4)],
                    pc,
                    symbols,
                    &mut s,
                );
            }
        }
        Err(e) => {
            let _ = writeln!(s, "({e})");
        }
    }
    let _ = writeln!(
        s,
        "---- host code of the block (x86-64, {} bytes at {:#x})",
        m.host_code.len(),
        m.host_addr
    );
    match disasm_cmd::x86_capstone() {
        Ok(cs) => disasm_cmd::write_host_code(&cs, &m.host_code, m.host_addr as u64, &mut s),
        Err(e) => {
            let _ = writeln!(s, "({e})");
        }
    }
    s
}
