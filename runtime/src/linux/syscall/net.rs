//! Sockets, epoll, eventfd and pselect6 of the Linux riscv64 ABI (asm-generic unistd.h numbers
//! 19-22, 72, 198-212, 242, 243, 269, 441), carried out by the host kernel through checked
//! host buffers.
//!
//! riscv64 and x86-64 are both LP64 little-endian Linux ABIs using the asm-generic socket
//! constants, so `sockaddr_*`, `msghdr`, `mmsghdr`, `cmsghdr`, `iovec`, `fd_set`, `timeval`,
//! `linger` and the `SOL_*`/`SO_*`/`MSG_*`/`SOCK_*` values are the same on both; pointers
//! inside them are translated and checked. The one layout that differs is `struct
//! epoll_event`: packed (12 bytes) on x86-64, naturally aligned (16 bytes: events, 4 bytes of
//! padding, data) on riscv64, so it is converted both ways.
//!
//! Under `--root`, a path-named (non-abstract) `AF_UNIX` address is resolved inside the root
//! like every other guest path: `bind` creates the socket in the directory the jail resolved
//! (named through `/proc/self/fd/N/NAME`), `connect` and `sendto` reach the socket file the jail
//! opened. Under `--no-network`, `socket` fails with EACCES (see `jail::intercept`).

use super::errno::*;
use super::fs::iovecs;
use super::{cvt, Args, SysResult};
use crate::linux::jail::{self, Use};
use crate::linux::Process;

const AF_UNIX: u16 = 1;
/// Largest socket address accepted (`sizeof(struct sockaddr_storage)`).
const SOCKADDR_MAX: u64 = 128;
/// Offset of `sun_path` in `struct sockaddr_un`.
const SUN_PATH: usize = 2;
/// Size of `sun_path`.
const SUN_PATH_MAX: usize = 108;
/// Largest option value copied for get/setsockopt (Linux caps most at a page).
const OPT_MAX: u64 = 4096;
/// Size of `struct msghdr` on riscv64 (and x86-64).
const MSGHDR_SIZE: u64 = 56;
/// Size of `struct mmsghdr` (msghdr, unsigned msg_len, padding).
const MMSGHDR_SIZE: u64 = 64;
/// Largest vector of messages for sendmmsg/recvmmsg (Linux's UIO_MAXIOV cap).
const VLEN_MAX: u64 = 1024;
/// Size of the guest's `struct epoll_event`.
const EPOLL_EVENT_SIZE: usize = 16;
/// Largest `maxevents` (Linux: INT_MAX / sizeof(struct epoll_event)).
const EPOLL_MAX_EVENTS: u64 = (i32::MAX as u64) / 12;

/// A socket address copied from the guest (and possibly rewritten for the jail), with what
/// keeps a rewritten path valid.
struct SockAddr {
    buf: [u8; SOCKADDR_MAX as usize],
    len: u32,
    _hold: Option<jail::HostPath>,
}

impl SockAddr {
    fn ptr(&self) -> *const libc::sockaddr {
        self.buf.as_ptr().cast()
    }
}

/// Reads the guest socket address `addr` of `len` bytes; `bind` says whether the address names
/// a socket to create (resolve its directory) or one to reach (resolve the socket itself).
fn sockaddr_in(p: &Process, addr: u64, len: u64, bind: bool) -> Result<SockAddr, Errno> {
    if len > SOCKADDR_MAX {
        return Err(EINVAL);
    }
    let mut sa = SockAddr {
        buf: [0; SOCKADDR_MAX as usize],
        len: len as u32,
        _hold: None,
    };
    let n = len as usize;
    p.mem.read_bytes(addr, &mut sa.buf[..n])?;
    let family = u16::from_le_bytes([sa.buf[0], sa.buf[1]]);
    if p.opts.sandbox.root.is_none() {
        return Ok(sa);
    }
    if family != AF_UNIX || n <= SUN_PATH || sa.buf[SUN_PATH] == 0 {
        // Not a path: another family, an unnamed or an abstract socket.
        return Ok(sa);
    }
    let raw = &sa.buf[SUN_PATH..n];
    let path = raw[..raw.iter().position(|&c| c == 0).unwrap_or(raw.len())].to_vec();
    let how = if bind { Use::Last } else { Use::Follow };
    let hp = jail::host_path(p, libc::AT_FDCWD as u64, path, how)?;
    let host = if hp.dirfd == libc::AT_FDCWD as libc::c_long {
        hp.path.as_bytes().to_vec()
    } else {
        let mut v = format!("/proc/self/fd/{}/", hp.dirfd).into_bytes();
        v.extend_from_slice(hp.path.as_bytes());
        v
    };
    if host.len() >= SUN_PATH_MAX {
        return Err(ENAMETOOLONG);
    }
    sa.buf[SUN_PATH..].fill(0);
    sa.buf[SUN_PATH..SUN_PATH + host.len()].copy_from_slice(&host);
    sa.len = (SUN_PATH + host.len() + 1) as u32;
    sa._hold = Some(hp);
    Ok(sa)
}

/// A result address buffer: the guest's `addr`/`addrlen` pair (both may be null).
struct SockAddrOut {
    buf: [u8; SOCKADDR_MAX as usize],
    len: libc::socklen_t,
    addr: u64,
    lenp: u64,
}

impl SockAddrOut {
    fn new(p: &Process, addr: u64, lenp: u64) -> Result<Self, Errno> {
        let mut len = 0;
        if addr != 0 {
            if lenp == 0 {
                return Err(EFAULT);
            }
            let mut b = [0u8; 4];
            p.mem.read_bytes(lenp, &mut b)?;
            let l = i32::from_le_bytes(b);
            if l < 0 {
                return Err(EINVAL);
            }
            len = SOCKADDR_MAX as libc::socklen_t;
        }
        Ok(Self {
            buf: [0; SOCKADDR_MAX as usize],
            len,
            addr,
            lenp,
        })
    }

    /// Host pointers for the call (null when the guest passed none).
    fn ptrs(&mut self) -> (*mut libc::sockaddr, *mut libc::socklen_t) {
        if self.addr == 0 {
            (std::ptr::null_mut(), std::ptr::null_mut())
        } else {
            (self.buf.as_mut_ptr().cast(), &mut self.len)
        }
    }

    /// Copies the address back, truncated to the guest's buffer, and stores the full length.
    fn write_back(&self, p: &Process) -> Result<(), Errno> {
        if self.addr == 0 {
            return Ok(());
        }
        let mut b = [0u8; 4];
        p.mem.read_bytes(self.lenp, &mut b)?;
        let room = u32::from_le_bytes(b) as usize;
        let n = room.min(self.len as usize).min(self.buf.len());
        p.mem.write_bytes(self.addr, &self.buf[..n])?;
        p.mem.write_bytes(self.lenp, &self.len.to_le_bytes())?;
        Ok(())
    }
}

pub fn socket(a: &Args) -> SysResult {
    // SAFETY: integer arguments only.
    cvt(unsafe { libc::syscall(libc::SYS_socket, a[0] as i32, a[1] as i32, a[2] as i32) })
}

pub fn socketpair(p: &mut Process, a: &Args) -> SysResult {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a host array of two ints, as socketpair writes.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_socketpair,
            a[0] as i32,
            a[1] as i32,
            a[2] as i32,
            fds.as_mut_ptr(),
        )
    })?;
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&fds[0].to_le_bytes());
    b[4..].copy_from_slice(&fds[1].to_le_bytes());
    if let Err(e) = p.mem.write_bytes(a[3], &b) {
        // SAFETY: closing the two descriptors just made, which the guest never saw.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        return Err(e.into());
    }
    Ok(0)
}

/// bind and connect: an address in.
pub fn bind_connect(p: &mut Process, a: &Args, bind: bool) -> SysResult {
    let sa = sockaddr_in(p, a[1], a[2], bind)?;
    let nr = if bind {
        libc::SYS_bind
    } else {
        libc::SYS_connect
    };
    // SAFETY: `sa` is a host copy of the address of `sa.len` bytes.
    cvt(unsafe { libc::syscall(nr, a[0] as i32, sa.ptr(), sa.len) })
}

pub fn listen(a: &Args) -> SysResult {
    // SAFETY: integer arguments only.
    cvt(unsafe { libc::syscall(libc::SYS_listen, a[0] as i32, a[1] as i32) })
}

/// accept and accept4 (`flags` 0 for accept).
pub fn accept4(p: &mut Process, a: &Args, flags: u64) -> SysResult {
    let mut out = SockAddrOut::new(p, a[1], a[2])?;
    let (sa, len) = out.ptrs();
    // SAFETY: `sa`/`len` are null or a host buffer of `out.len` bytes and its length.
    let fd = cvt(unsafe { libc::syscall(libc::SYS_accept4, a[0] as i32, sa, len, flags as i32) })?;
    if let Err(e) = out.write_back(p) {
        // SAFETY: the connection was accepted for a guest that cannot be told; close it.
        unsafe { libc::close(fd as i32) };
        return Err(e);
    }
    Ok(fd)
}

/// getsockname and getpeername.
pub fn sockname(p: &mut Process, a: &Args, peer: bool) -> SysResult {
    if a[1] == 0 {
        return Err(EFAULT);
    }
    let mut out = SockAddrOut::new(p, a[1], a[2])?;
    let (sa, len) = out.ptrs();
    let nr = if peer {
        libc::SYS_getpeername
    } else {
        libc::SYS_getsockname
    };
    // SAFETY: a host buffer of `out.len` bytes and its length.
    cvt(unsafe { libc::syscall(nr, a[0] as i32, sa, len) })?;
    out.write_back(p)?;
    Ok(0)
}

pub fn sendto(p: &mut Process, a: &Args) -> SysResult {
    let len = a[2].min(super::MAX_RW_COUNT);
    let buf = p.mem.slice(a[1], len)?.as_ptr();
    let sa = if a[4] != 0 {
        Some(sockaddr_in(p, a[4], a[5], false)?)
    } else {
        None
    };
    let (sp, sl) = sa
        .as_ref()
        .map_or((std::ptr::null(), 0), |s| (s.ptr(), s.len));
    // SAFETY: `buf` is checked readable guest memory of `len` bytes; `sp` null or a host copy
    // of the address.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_sendto,
            a[0] as i32,
            buf,
            len as usize,
            a[3] as i32,
            sp,
            sl,
        )
    })
}

pub fn recvfrom(p: &mut Process, a: &Args) -> SysResult {
    let len = a[2].min(super::MAX_RW_COUNT);
    let buf = p.mem.slice_mut(a[1], len)?.as_mut_ptr();
    let mut out = SockAddrOut::new(p, a[4], a[5])?;
    let (sa, sl) = out.ptrs();
    // SAFETY: `buf` is checked writable guest memory of `len` bytes; `sa`/`sl` null or a host
    // address buffer and its length.
    let n = cvt(unsafe {
        libc::syscall(
            libc::SYS_recvfrom,
            a[0] as i32,
            buf,
            len as usize,
            a[3] as i32,
            sa,
            sl,
        )
    })?;
    out.write_back(p)?;
    Ok(n)
}

pub fn setsockopt(p: &mut Process, a: &Args) -> SysResult {
    let len = a[4] as u32 as u64;
    if len > OPT_MAX {
        return Err(EINVAL);
    }
    let mut v = vec![0u8; len as usize];
    if len > 0 {
        p.mem.read_bytes(a[3], &mut v)?;
    }
    let ptr = if a[3] == 0 {
        std::ptr::null()
    } else {
        v.as_ptr()
    };
    // SAFETY: `ptr` is null or a host copy of the option value of `len` bytes.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_setsockopt,
            a[0] as i32,
            a[1] as i32,
            a[2] as i32,
            ptr,
            len as libc::socklen_t,
        )
    })
}

pub fn getsockopt(p: &mut Process, a: &Args) -> SysResult {
    let mut lb = [0u8; 4];
    p.mem.read_bytes(a[4], &mut lb)?;
    let room = i32::from_le_bytes(lb);
    if room < 0 {
        return Err(EINVAL);
    }
    let room = (room as u64).min(OPT_MAX);
    let mut v = vec![0u8; room as usize];
    let mut len = room as libc::socklen_t;
    // SAFETY: a host buffer of `len` bytes and its length.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_getsockopt,
            a[0] as i32,
            a[1] as i32,
            a[2] as i32,
            v.as_mut_ptr(),
            &mut len,
        )
    })?;
    let n = (len as usize).min(v.len());
    p.mem.write_bytes(a[3], &v[..n])?;
    p.mem.write_bytes(a[4], &len.to_le_bytes())?;
    Ok(0)
}

pub fn shutdown(a: &Args) -> SysResult {
    // SAFETY: integer arguments only.
    cvt(unsafe { libc::syscall(libc::SYS_shutdown, a[0] as i32, a[1] as i32) })
}

/// A guest `struct msghdr` made host-ready: the host header points at checked guest buffers
/// (data, control) and at host copies (name, iovec array).
struct Msg {
    hdr: libc::msghdr,
    _iov: Vec<libc::iovec>,
    name_in: Option<SockAddr>,
    name_out: [u8; SOCKADDR_MAX as usize],
    /// Guest address of the header (for writing back lengths and flags).
    at: u64,
    /// The guest's msg_name buffer (0: none), where a receive stores the sender's address.
    guest_name: u64,
}

impl Msg {
    /// Reads the guest header at `at`; `recv` says whether buffers are written into.
    fn new(p: &Process, at: u64, recv: bool) -> Result<Box<Msg>, Errno> {
        let mut raw = [0u8; MSGHDR_SIZE as usize];
        p.mem.read_bytes(at, &mut raw)?;
        let u64_at = |o: usize| super::abi::get_u64(&raw, o);
        let (name, namelen) = (u64_at(0), u64_at(8) as u32 as u64);
        let (iov, iovlen) = (u64_at(16), u64_at(24));
        let (control, controllen) = (u64_at(32), u64_at(40));
        let iovs = iovecs(p, iov, iovlen, recv)?;
        let mut m = Box::new(Msg {
            // SAFETY: msghdr is plain data; all-zero is a valid value (null pointers).
            hdr: unsafe { std::mem::zeroed() },
            _iov: iovs,
            name_in: None,
            name_out: [0; SOCKADDR_MAX as usize],
            at,
            guest_name: name,
        });
        m.hdr.msg_iov = m._iov.as_mut_ptr();
        m.hdr.msg_iovlen = m._iov.len();
        if name != 0 {
            if recv {
                m.hdr.msg_name = m.name_out.as_mut_ptr().cast();
                m.hdr.msg_namelen = namelen.min(SOCKADDR_MAX) as u32;
            } else {
                let sa = sockaddr_in(p, name, namelen, false)?;
                m.name_in = Some(sa);
                if let Some(sa) = m.name_in.as_ref() {
                    m.hdr.msg_name = sa.ptr().cast_mut().cast();
                    m.hdr.msg_namelen = sa.len;
                }
            }
        }
        if control != 0 && controllen != 0 {
            if controllen > i32::MAX as u64 {
                return Err(ENOBUFS);
            }
            let c = if recv {
                p.mem.slice_mut(control, controllen)?.as_mut_ptr()
            } else {
                p.mem.slice(control, controllen)?.as_ptr().cast_mut()
            };
            m.hdr.msg_control = c.cast();
            m.hdr.msg_controllen = controllen as usize;
        }
        Ok(m)
    }

    /// After a receive: the sender's address, msg_namelen, msg_controllen and msg_flags.
    fn write_back(&self, p: &Process) -> Result<(), Errno> {
        if self.guest_name != 0 {
            let n = (self.hdr.msg_namelen as usize).min(self.name_out.len());
            p.mem.write_bytes(self.guest_name, &self.name_out[..n])?;
        }
        p.mem
            .write_bytes(self.at + 8, &self.hdr.msg_namelen.to_le_bytes())?;
        p.mem.write_bytes(
            self.at + 40,
            &(self.hdr.msg_controllen as u64).to_le_bytes(),
        )?;
        p.mem
            .write_bytes(self.at + 48, &self.hdr.msg_flags.to_le_bytes())?;
        Ok(())
    }
}

pub fn sendmsg(p: &mut Process, a: &Args) -> SysResult {
    let m = Msg::new(p, a[1], false)?;
    // SAFETY: the header and everything it points to are host copies or checked guest memory.
    cvt(unsafe { libc::syscall(libc::SYS_sendmsg, a[0] as i32, &m.hdr, a[2] as i32) })
}

pub fn recvmsg(p: &mut Process, a: &Args) -> SysResult {
    let mut m = Msg::new(p, a[1], true)?;
    // SAFETY: as in `sendmsg`; the buffers written are checked writable guest memory.
    let n = cvt(unsafe { libc::syscall(libc::SYS_recvmsg, a[0] as i32, &mut m.hdr, a[2] as i32) })?;
    m.write_back(p)?;
    Ok(n)
}

/// sendmmsg and recvmmsg (`timeout` is recvmmsg's fifth argument).
pub fn mmsg(p: &mut Process, a: &Args, recv: bool) -> SysResult {
    let vlen = a[2].min(VLEN_MAX);
    let mut msgs = Vec::with_capacity(vlen as usize);
    for i in 0..vlen {
        msgs.push(Msg::new(p, a[1] + i * MMSGHDR_SIZE, recv)?);
    }
    let mut host: Vec<libc::mmsghdr> = msgs
        .iter()
        .map(|m| libc::mmsghdr {
            msg_hdr: m.hdr,
            msg_len: 0,
        })
        .collect();
    let mut ts = [0u8; 16];
    let n = if recv {
        let tsp = if a[4] == 0 {
            std::ptr::null_mut()
        } else {
            p.mem.read_bytes(a[4], &mut ts)?;
            ts.as_mut_ptr()
        };
        // SAFETY: `host` holds `vlen` headers pointing at host copies or checked guest memory;
        // `tsp` is null or a host timespec.
        cvt(unsafe {
            libc::syscall(
                libc::SYS_recvmmsg,
                a[0] as i32,
                host.as_mut_ptr(),
                vlen as u32,
                a[3] as i32,
                tsp,
            )
        })?
    } else {
        // SAFETY: as above.
        cvt(unsafe {
            libc::syscall(
                libc::SYS_sendmmsg,
                a[0] as i32,
                host.as_mut_ptr(),
                vlen as u32,
                a[3] as i32,
            )
        })?
    };
    for (i, h) in host.iter().enumerate().take(n as usize) {
        let at = a[1] + i as u64 * MMSGHDR_SIZE;
        if recv {
            if let Some(m) = msgs.get_mut(i) {
                m.hdr = h.msg_hdr;
                m.write_back(p)?;
            }
        }
        p.mem.write_bytes(at + 56, &h.msg_len.to_le_bytes())?;
    }
    if recv && a[4] != 0 {
        p.mem.write_bytes(a[4], &ts)?;
    }
    Ok(n)
}

pub fn epoll_create1(a: &Args) -> SysResult {
    // SAFETY: integer argument only.
    cvt(unsafe { libc::syscall(libc::SYS_epoll_create1, a[0] as i32) })
}

pub fn epoll_ctl(p: &mut Process, a: &Args) -> SysResult {
    const EPOLL_CTL_DEL: i32 = 2;
    let op = a[1] as i32;
    let mut ev = libc::epoll_event { events: 0, u64: 0 };
    let evp: *mut libc::epoll_event = if op == EPOLL_CTL_DEL && a[3] == 0 {
        std::ptr::null_mut()
    } else {
        let mut g = [0u8; EPOLL_EVENT_SIZE];
        p.mem.read_bytes(a[3], &mut g)?;
        ev.events = super::abi::get_u32(&g, 0);
        ev.u64 = super::abi::get_u64(&g, 8);
        &mut ev
    };
    // SAFETY: `evp` is null (EPOLL_CTL_DEL) or a host epoll_event.
    cvt(unsafe { libc::syscall(libc::SYS_epoll_ctl, a[0] as i32, op, a[2] as i32, evp) })
}

/// epoll_pwait and epoll_pwait2 (`ts`: the timeout is a `struct timespec` pointer); `sigmask`
/// is the guest's mask for the wait (signal::wait_with_mask).
pub fn epoll_pwait(p: &mut Process, a: &Args, ts: bool) -> SysResult {
    let max = a[2] as i32 as i64;
    if max <= 0 || max as u64 > EPOLL_MAX_EVENTS {
        return Err(EINVAL);
    }
    // The guest buffer must be writable before anything is consumed.
    let room = (max as u64).min(4096);
    p.mem.slice_mut(a[1], room * EPOLL_EVENT_SIZE as u64)?;
    let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; room as usize];
    let mut t = [0u8; 16];
    let tp = if ts && a[3] != 0 {
        p.mem.read_bytes(a[3], &mut t)?;
        t.as_ptr()
    } else {
        std::ptr::null()
    };
    let mask = crate::linux::signal::read_wait_mask(p, a[4], a[5])?;
    let evp = evs.as_mut_ptr();
    let n = crate::linux::signal::wait_with_mask(p, mask, |hmask, nonblocking| {
        let zero = [0u8; 16];
        if ts {
            let tp = if nonblocking { zero.as_ptr() } else { tp };
            // SAFETY: a host event array of `room` entries, a host timespec (or null) and a
            // host sigset of 8 bytes (or null). The sixth argument goes on the stack through
            // the variadic syscall(): a full word, or its upper half would be garbage.
            cvt(unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    a[0] as i32,
                    evp,
                    room as i32,
                    tp,
                    hmask,
                    8usize,
                )
            })
        } else {
            let ms = if nonblocking { 0 } else { a[3] as i32 };
            // SAFETY: as above, with a millisecond timeout.
            cvt(unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait,
                    a[0] as i32,
                    evp,
                    room as i32,
                    ms,
                    hmask,
                    8usize,
                )
            })
        }
    })?;
    let mut out = vec![0u8; n as usize * EPOLL_EVENT_SIZE];
    for (i, e) in evs.iter().take(n as usize).enumerate() {
        let o = i * EPOLL_EVENT_SIZE;
        let (events, data) = (e.events, e.u64);
        out[o..o + 4].copy_from_slice(&events.to_le_bytes());
        out[o + 8..o + 16].copy_from_slice(&data.to_le_bytes());
    }
    p.mem.write_bytes(a[1], &out)?;
    Ok(n)
}

pub fn eventfd2(a: &Args) -> SysResult {
    // SAFETY: integer arguments only.
    cvt(unsafe { libc::syscall(libc::SYS_eventfd2, a[0] as u32, a[1] as i32) })
}

/// pselect6(n, readfds, writefds, exceptfds, timeout, sigmask): the fd_sets and the timespec
/// have the same layout on both ABIs; the remaining time is written back as Linux does, also
/// when a signal interrupts the wait. `sigmask` points to `{ const sigset_t *ss; size_t
/// ss_len; }`, the guest's mask for the wait (signal::wait_with_mask).
pub fn pselect6(p: &mut Process, a: &Args) -> SysResult {
    let n = a[0] as i32;
    if !(0..=libc::FD_SETSIZE as i32).contains(&n) {
        return Err(EINVAL);
    }
    let bytes = (n as usize).div_ceil(64) * 8;
    let mut sets = [[0u8; 128]; 3];
    let mut ptrs = [std::ptr::null_mut::<u8>(); 3];
    for (i, set) in sets.iter_mut().enumerate() {
        if a[1 + i] != 0 {
            p.mem.read_bytes(a[1 + i], &mut set[..bytes])?;
            ptrs[i] = set.as_mut_ptr();
        }
    }
    let mut ts = [0u8; 16];
    let tsp = if a[4] == 0 {
        std::ptr::null_mut()
    } else {
        p.mem.read_bytes(a[4], &mut ts)?;
        ts.as_mut_ptr()
    };
    let mask = if a[5] == 0 {
        None
    } else {
        let mut pack = [0u8; 16];
        p.mem.read_bytes(a[5], &mut pack)?;
        let (at, size) = (super::abi::get_u64(&pack, 0), super::abi::get_u64(&pack, 8));
        crate::linux::signal::read_wait_mask(p, at, size)?
    };
    let r = crate::linux::signal::wait_with_mask(p, mask, |hmask, nonblocking| {
        let mut zero = [0u8; 16];
        let t = if nonblocking { zero.as_mut_ptr() } else { tsp };
        // The host's sigmask argument is the same `{ pointer, size }` pair.
        let pack: [u64; 2] = [hmask as u64, 8];
        let packp = if hmask.is_null() {
            std::ptr::null()
        } else {
            pack.as_ptr()
        };
        // SAFETY: host copies of the fd_sets (128 bytes each) and of the timespec, or null,
        // and a host sigset argument pack (or null).
        cvt(unsafe { libc::syscall(libc::SYS_pselect6, n, ptrs[0], ptrs[1], ptrs[2], t, packp) })
    });
    if a[4] != 0 && matches!(r, Ok(_) | Err(EINTR)) {
        p.mem.write_bytes(a[4], &ts)?;
    }
    let r = r?;
    for (i, set) in sets.iter().enumerate() {
        if a[1 + i] != 0 {
            p.mem.write_bytes(a[1 + i], &set[..bytes])?;
        }
    }
    Ok(r)
}
