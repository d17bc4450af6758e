//! Files under /proc that must show the guest's view rather than the host's (Linux
//! Documentation/filesystems/proc.rst): `/proc/cpuinfo` describes riscv64 harts in the format
//! of arch/riscv/kernel/cpu.c; `/proc/self/maps` lists the guest's mappings at guest addresses
//! with the guest's permissions (file names and offsets from the host mappings behind them).
//! The content is served from a memfd reopened read-only.

use super::syscall::errno::*;
use super::syscall::SysResult;
use super::Process;

/// Opens `path` if it is one of the synthetic files; `None` for every other path.
pub fn open(p: &Process, path: &[u8], flags: u64) -> Option<SysResult> {
    let me = format!("/proc/{}/maps", std::process::id());
    match path {
        b"/proc/cpuinfo" => Some(serve(&cpuinfo(), flags)),
        b"/proc/self/maps" | b"/proc/thread-self/maps" => Some(serve(&maps(p), flags)),
        _ if path == me.as_bytes() => Some(serve(&maps(p), flags)),
        _ => None,
    }
}

/// One line of the host's /proc/self/maps.
struct HostVma {
    start: u64,
    end: u64,
    shared: bool,
    offset: u64,
    dev: String,
    inode: u64,
    name: String,
}

fn host_maps() -> Vec<HostVma> {
    let text = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let mut v = Vec::new();
    for line in text.lines() {
        let mut f = line.splitn(6, ' ');
        let (Some(range), Some(perms), Some(off), Some(dev), Some(inode)) =
            (f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let name = f.next().unwrap_or("").trim_start().to_string();
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end), Ok(offset), Ok(inode)) = (
            u64::from_str_radix(a, 16),
            u64::from_str_radix(b, 16),
            u64::from_str_radix(off, 16),
            inode.parse::<u64>(),
        ) else {
            continue;
        };
        v.push(HostVma {
            start,
            end,
            shared: perms.ends_with('s'),
            offset,
            dev: dev.to_string(),
            inode,
            name,
        });
    }
    v
}

/// The guest's /proc/self/maps: runs of guest pages with equal permissions, split where the
/// host mapping behind them changes; file-backed ones name the file (as the guest sees its
/// path under `--root`), the break area is `[heap]` once the break moved past its start.
fn maps(p: &Process) -> Vec<u8> {
    use crate::mem::prot;
    let base = p.mem.host_base() as u64;
    let host = host_maps();
    let root = p.opts.sandbox.root.clone();
    let labels = p.mem.labels();
    let mut out = String::new();
    for (start, end, bits) in p.mem.mapped_runs() {
        let mut at = start;
        while at < end {
            let h = host
                .iter()
                .find(|v| v.start <= base + at && base + at < v.end);
            let mut stop = h.map_or(end, |v| (v.end - base).min(end));
            // A labelled stretch (program image, stack) or the unlabelled gap before one.
            let lab = labels.iter().find(|l| l.start <= at && at < l.end);
            match lab {
                Some(l) => stop = stop.min(l.end),
                None => {
                    if let Some(next) = labels
                        .iter()
                        .filter(|l| l.start > at)
                        .map(|l| l.start)
                        .min()
                    {
                        stop = stop.min(next);
                    }
                }
            }
            // The break area is a mapping of its own, as Linux's brk vma: from the initial
            // break to the current one (page-rounded), even where it follows the image's
            // anonymous bss pages directly (no address randomization).
            if p.brk > p.brk_start {
                let top = p.brk.div_ceil(crate::mem::PAGE_SIZE) * crate::mem::PAGE_SIZE;
                for cut in [p.brk_start, top] {
                    if at < cut && cut < stop {
                        stop = cut;
                    }
                }
            }
            // Where the name and offset come from: the label where the host memory behind
            // it is anonymous (the loader copied the image), else the host mapping.
            let label = lab.filter(|_| h.is_none_or(|v| v.inode == 0));
            let (shared, offset, dev, inode, file) = match (label, h) {
                (Some(l), _) => (
                    false,
                    l.offset + (at - l.start),
                    l.dev.as_str(),
                    l.inode,
                    l.name.as_slice(),
                ),
                (None, Some(v)) if v.inode != 0 => (
                    v.shared,
                    v.offset + (base + at - v.start),
                    v.dev.as_str(),
                    v.inode,
                    v.name.as_bytes(),
                ),
                (None, Some(v)) => (v.shared, 0, "00:00", 0, &b""[..]),
                (None, None) => (false, 0, "00:00", 0, &b""[..]),
            };
            // Files are named by the path the guest sees; pseudo-names ([stack]) as they are.
            let mut name = match &root {
                Some(r) if inode != 0 => {
                    String::from_utf8_lossy(&r.guest_path_of(file).unwrap_or_default()).into_owned()
                }
                _ => String::from_utf8_lossy(file).into_owned(),
            };
            // [heap]: an anonymous run inside [start_brk, brk) (vma_is_initial_heap).
            if inode == 0 && name.is_empty() && at >= p.brk_start && at < p.brk {
                name = "[heap]".into();
            }
            let perm = |b: u8, c: char| if bits & b != 0 { c } else { '-' };
            let line = format!(
                "{at:08x}-{stop:08x} {}{}{}{} {offset:08x} {dev} {inode}",
                perm(prot::READ, 'r'),
                perm(prot::WRITE, 'w'),
                perm(prot::EXEC, 'x'),
                if shared { 's' } else { 'p' },
            );
            if name.is_empty() {
                out.push_str(&line);
            } else {
                out.push_str(&format!("{line:<72} {name}"));
            }
            out.push('\n');
            at = stop;
        }
    }
    out.into_bytes()
}

fn cpuinfo() -> Vec<u8> {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "processor\t: {i}\nhart\t\t: {i}\nisa\t\t: rv64imafdc_zicntr_zicsr_zifencei_zba_zbb_zbs\n\
             mmu\t\t: sv39\nmvendorid\t: 0x0\nmarchid\t\t: 0x0\nmimpid\t\t: 0x0\n\n"
        ));
    }
    s.into_bytes()
}

/// A read-only descriptor whose content is `data`.
fn serve(data: &[u8], flags: u64) -> SysResult {
    const O_ACCMODE: u64 = 3;
    if flags & O_ACCMODE != 0 {
        return Err(EACCES);
    }
    // SAFETY: creates an anonymous file; the name is a C string literal.
    let fd = unsafe { libc::memfd_create(c"cpuinfo".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    let f = |r: bool| {
        if r {
            Ok(())
        } else {
            let e = Errno::last();
            // SAFETY: closing the descriptor created above.
            unsafe { libc::close(fd) };
            Err(e)
        }
    };
    // SAFETY: writes our buffer to our memfd, rewinds it, and reopens it read-only through
    // /proc/self/fd so the guest cannot write to it.
    unsafe {
        f(libc::write(fd, data.as_ptr().cast(), data.len()) == data.len() as isize)?;
        let path = format!("/proc/self/fd/{fd}\0");
        let cloexec = if flags & libc::O_CLOEXEC as u64 != 0 {
            libc::O_CLOEXEC
        } else {
            0
        };
        let ro = libc::open(path.as_ptr().cast(), libc::O_RDONLY | cloexec);
        let e = Errno::last();
        libc::close(fd);
        if ro < 0 {
            return Err(e);
        }
        Ok(ro as u64)
    }
}
