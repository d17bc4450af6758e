//! ELF64 header and program-header validation for riscv64 Linux executables, following the
//! System V gABI (ELF header, program headers), the RISC-V ELF psABI (`e_machine` EM_RISCV,
//! `e_flags` float ABI and RVE bits) and what Linux `fs/binfmt_elf.c` accepts.
//!
//! Everything read from the file is untrusted: sizes and offsets are checked against the file
//! length with checked arithmetic, and nothing here indexes or unwraps file-controlled values.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use object::elf::{self, FileHeader64, ProgramHeader64};
use object::{pod, LittleEndian as LE};

use crate::mem::PAGE_SIZE;

use super::{FormatError, LoadError, SegmentError};

/// e_ident indices of the class and data encoding bytes.
const EI_CLASS: usize = 4;
const EI_DATA: usize = 5;
/// Size of an ELF64 file header.
pub(super) const EHDR_SIZE: usize = 64;
/// Size of an ELF64 program header (`e_phentsize` must equal it, as in Linux).
pub(super) const PHDR_SIZE: usize = 56;
/// Linux refuses program header tables larger than this (`load_elf_phdrs`).
const MAX_PHDR_BYTES: usize = 65536;
/// Longest PT_INTERP path Linux accepts (PATH_MAX, including the NUL).
const MAX_INTERP_LEN: u64 = 4096;

/// An opened ELF file and its length.
pub(super) struct Source {
    pub path: PathBuf,
    pub file: File,
    pub len: u64,
}

impl Source {
    /// Reads `len` bytes at `offset`; the caller has checked the range against `self.len`.
    /// A short read (the file shrank) is reported as truncation.
    pub fn read_at(
        &self,
        offset: u64,
        len: usize,
        what: &'static str,
    ) -> Result<Vec<u8>, LoadError> {
        let mut buf = vec![0u8; len];
        match self.file.read_exact_at(&mut buf, offset) {
            Ok(()) => Ok(buf),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Err(self.bad(FormatError::Truncated {
                    what,
                    need: offset.saturating_add(len as u64),
                    len: self.len,
                }))
            }
            Err(source) => Err(LoadError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }

    pub fn bad(&self, error: FormatError) -> LoadError {
        LoadError::BadFormat {
            path: self.path.clone(),
            error,
        }
    }
}

/// One PT_LOAD segment, validated: the file range lies inside the file, `filesz <= memsz`,
/// the address range (rounded out to pages) does not wrap, and offset and address agree
/// modulo the page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub offset: u64,
    pub filesz: u64,
    /// `PF_R | PF_W | PF_X` bits.
    pub flags: u32,
}

impl Segment {
    /// First page of the segment (link-time address).
    pub fn page_start(&self) -> u64 {
        self.vaddr & !(PAGE_SIZE - 1)
    }
    /// End of the segment's last page (link-time address; validated not to overflow).
    pub fn page_end(&self) -> u64 {
        // Validated in `parse`: vaddr + memsz + PAGE_SIZE - 1 does not overflow.
        (self.vaddr + self.memsz + PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
    }
}

/// What the loader needs from a validated riscv64 ELF executable.
#[derive(Clone, Debug)]
pub struct Image {
    /// `ET_EXEC` or `ET_DYN`.
    pub e_type: u16,
    pub e_flags: u32,
    pub entry: u64,
    pub phoff: u64,
    pub phnum: u16,
    /// PT_LOAD segments with a non-zero memory size, in file order.
    pub loads: Vec<Segment>,
    /// The PT_INTERP path (without its NUL), if any.
    pub interp: Option<Vec<u8>>,
    /// PT_GNU_STACK asks for an executable stack.
    pub exec_stack: bool,
    /// Link-time address of the program headers in memory, if they are mapped (the PT_LOAD
    /// that contains `e_phoff`, as Linux computes AT_PHDR; else PT_PHDR's address).
    pub phdr_vaddr: Option<u64>,
    /// Lowest page and end of the highest page over all PT_LOADs (link-time addresses).
    pub min_page: u64,
    pub max_end: u64,
    /// Largest power-of-two `p_align` of the PT_LOADs (at least the page size, at most 1 GiB).
    pub max_align: u64,
}

impl Image {
    /// Bytes of address space the image spans, first page to last.
    pub fn span(&self) -> u64 {
        self.max_end - self.min_page
    }
}

/// A readable name for an `e_machine` value, for "wrong machine" errors.
pub fn machine_name(m: u16) -> String {
    let name = match m {
        elf::EM_X86_64 => "x86-64",
        elf::EM_386 => "i386",
        elf::EM_AARCH64 => "AArch64",
        elf::EM_ARM => "ARM",
        elf::EM_PPC => "PowerPC",
        elf::EM_PPC64 => "PowerPC64",
        elf::EM_S390 => "s390",
        elf::EM_MIPS => "MIPS",
        elf::EM_LOONGARCH => "LoongArch",
        elf::EM_SPARCV9 => "SPARC64",
        elf::EM_SPARC => "SPARC",
        elf::EM_IA_64 => "IA-64",
        elf::EM_ALPHA => "Alpha",
        elf::EM_SH => "SuperH",
        elf::EM_68K => "m68k",
        elf::EM_PARISC => "PA-RISC",
        elf::EM_BPF => "BPF",
        elf::EM_NONE => "no machine (EM_NONE)",
        _ => return format!("machine {m:#x}"),
    };
    name.to_string()
}

fn u16_at(b: &[u8], at: usize, big_endian: bool) -> Option<u16> {
    let bytes: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if big_endian {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    })
}

/// Validates the file header and program headers of `src`.
pub(super) fn parse(src: &Source) -> Result<Image, LoadError> {
    let head_len = src.len.min(EHDR_SIZE as u64) as usize;
    let head = src.read_at(0, head_len, "ELF header")?;
    let truncated = |what| {
        src.bad(FormatError::Truncated {
            what,
            need: EHDR_SIZE as u64,
            len: src.len,
        })
    };

    // Identification: magic, then the machine (so a wrong-architecture file of any class or
    // byte order is named as such), then class and byte order.
    if head.is_empty() {
        return Err(src.bad(FormatError::Empty));
    }
    let magic_len = head.len().min(4);
    if head.get(..magic_len) != elf::ELFMAG.get(..magic_len) {
        return Err(src.bad(if head.starts_with(b"#!") {
            FormatError::Script
        } else {
            FormatError::NotElf
        }));
    }
    let (Some(&class), Some(&data)) = (head.get(EI_CLASS), head.get(EI_DATA)) else {
        return Err(truncated("ELF header"));
    };
    let big_endian = match data {
        elf::ELFDATA2LSB => false,
        elf::ELFDATA2MSB => true,
        other => return Err(src.bad(FormatError::BadDataEncoding(other))),
    };
    let Some(machine) = u16_at(&head, 18, big_endian) else {
        return Err(truncated("ELF header"));
    };
    if machine != elf::EM_RISCV {
        return Err(src.bad(FormatError::WrongMachine(machine_name(machine))));
    }
    match class {
        elf::ELFCLASS64 => {}
        elf::ELFCLASS32 => return Err(src.bad(FormatError::Rv32)),
        other => return Err(src.bad(FormatError::BadClass(other))),
    }
    if big_endian {
        return Err(src.bad(FormatError::BigEndian));
    }
    let Ok((hdr, _)) = pod::from_bytes::<FileHeader64<LE>>(&head) else {
        return Err(truncated("ELF header"));
    };

    let e_type = hdr.e_type.get(LE);
    if e_type != elf::ET_EXEC && e_type != elf::ET_DYN {
        return Err(src.bad(FormatError::NotExecutableType(e_type)));
    }
    let e_flags = hdr.e_flags.get(LE);
    if e_flags & elf::EF_RISCV_RVE != 0 {
        return Err(src.bad(FormatError::Rve));
    }
    if e_flags & elf::EF_RISCV_FLOAT_ABI == elf::EF_RISCV_FLOAT_ABI_QUAD {
        return Err(src.bad(FormatError::QuadFloat));
    }

    // Program header table.
    let phentsize = hdr.e_phentsize.get(LE);
    if usize::from(phentsize) != PHDR_SIZE {
        return Err(src.bad(FormatError::BadPhentsize(phentsize)));
    }
    let phnum = hdr.e_phnum.get(LE);
    let table_len = usize::from(phnum) * PHDR_SIZE;
    if phnum == 0 || table_len > MAX_PHDR_BYTES {
        return Err(src.bad(FormatError::BadPhnum(phnum)));
    }
    let phoff = hdr.e_phoff.get(LE);
    let table_end = phoff.checked_add(table_len as u64);
    match table_end {
        Some(end) if end <= src.len => {}
        _ => {
            return Err(src.bad(FormatError::Truncated {
                what: "program header table",
                need: table_end.unwrap_or(u64::MAX),
                len: src.len,
            }))
        }
    }
    let table = src.read_at(phoff, table_len, "program header table")?;
    let Ok((phdrs, _)) = pod::slice_from_bytes::<ProgramHeader64<LE>>(&table, usize::from(phnum))
    else {
        return Err(truncated("program header table"));
    };

    let mut loads = Vec::new();
    let mut interp = None;
    let mut exec_stack = false;
    let mut pt_phdr = None;
    let mut max_align = PAGE_SIZE;
    for (index, ph) in phdrs.iter().enumerate() {
        let seg_err = |problem| src.bad(FormatError::Segment { index, problem });
        let offset = ph.p_offset.get(LE);
        let filesz = ph.p_filesz.get(LE);
        let vaddr = ph.p_vaddr.get(LE);
        let memsz = ph.p_memsz.get(LE);
        let in_file = |what| match offset.checked_add(filesz) {
            Some(end) if end <= src.len => Ok(()),
            _ => Err(seg_err(SegmentError::PastEof {
                what,
                offset,
                filesz,
                len: src.len,
            })),
        };
        match ph.p_type.get(LE) {
            elf::PT_LOAD => {
                in_file("segment")?;
                if filesz > memsz {
                    return Err(seg_err(SegmentError::FileszOverMemsz { filesz, memsz }));
                }
                if vaddr
                    .checked_add(memsz)
                    .and_then(|e| e.checked_add(PAGE_SIZE - 1))
                    .is_none()
                {
                    return Err(seg_err(SegmentError::AddressOverflow { vaddr, memsz }));
                }
                if vaddr % PAGE_SIZE != offset % PAGE_SIZE {
                    return Err(seg_err(SegmentError::Misaligned { vaddr, offset }));
                }
                let align = ph.p_align.get(LE);
                if align.is_power_of_two() && align <= 1 << 30 {
                    max_align = max_align.max(align);
                }
                if memsz != 0 {
                    loads.push(Segment {
                        vaddr,
                        memsz,
                        offset,
                        filesz,
                        flags: ph.p_flags.get(LE),
                    });
                }
            }
            elf::PT_INTERP if interp.is_none() => {
                // As Linux: 2..=PATH_MAX bytes, NUL-terminated; the path ends at the first NUL.
                if !(2..=MAX_INTERP_LEN).contains(&filesz) {
                    return Err(seg_err(SegmentError::BadInterp));
                }
                in_file("interpreter path")?;
                let bytes = src.read_at(offset, filesz as usize, "interpreter path")?;
                if bytes.last() != Some(&0) {
                    return Err(seg_err(SegmentError::BadInterp));
                }
                let path: Vec<u8> = bytes.iter().copied().take_while(|&b| b != 0).collect();
                if path.is_empty() {
                    return Err(seg_err(SegmentError::BadInterp));
                }
                interp = Some(path);
            }
            elf::PT_GNU_STACK => exec_stack = ph.p_flags.get(LE) & elf::PF_X != 0,
            elf::PT_PHDR => pt_phdr = Some(vaddr),
            _ => {}
        }
    }

    let (Some(min_page), Some(max_end)) = (
        loads.iter().map(Segment::page_start).min(),
        loads.iter().map(Segment::page_end).max(),
    ) else {
        return Err(src.bad(FormatError::NoLoad));
    };

    // AT_PHDR as Linux computes it: the PT_LOAD whose file range holds the header table.
    let phdr_vaddr = loads
        .iter()
        .find(|s| s.offset <= phoff && phoff - s.offset < s.filesz)
        .map(|s| s.vaddr + (phoff - s.offset))
        .or(pt_phdr);

    let entry = hdr.e_entry.get(LE);
    if entry < min_page || entry >= max_end {
        return Err(src.bad(FormatError::EntryOutside(entry)));
    }

    Ok(Image {
        e_type,
        e_flags,
        entry,
        phoff,
        phnum,
        loads,
        interp,
        exec_stack,
        phdr_vaddr,
        min_page,
        max_end,
        max_align,
    })
}
