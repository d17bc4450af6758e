//! Files under /proc that must show the guest's view rather than the host's (Linux
//! Documentation/filesystems/proc.rst): `/proc/cpuinfo` describes riscv64 harts in the format
//! of arch/riscv/kernel/cpu.c. The content is served from a sealed memfd.

use super::syscall::errno::*;
use super::syscall::SysResult;
use super::Process;

/// Opens `path` if it is one of the synthetic files; `None` for every other path.
pub fn open(_p: &Process, path: &[u8], flags: u64) -> Option<SysResult> {
    match path {
        b"/proc/cpuinfo" => Some(serve(&cpuinfo(), flags)),
        _ => None,
    }
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
