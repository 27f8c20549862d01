//! `idle_memory`: the server in a child process of its own (this binary,
//! run with `--child-server`), so that its resident memory is measured
//! alone.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::load::connect_many;
use crate::report::{Goal, Row};
use crate::scenarios::both;
use crate::served::Served;
use crate::{credentials, runtime, Kind, IDLE_CONNECTIONS};

/// The child: serve on 127.0.0.1 until stdin closes.
pub(crate) fn child_server(kind: Kind) {
    let rt = runtime("server");
    let served = rt.block_on(Served::start(kind));
    println!("URL {}", served.url);
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    std::process::exit(0);
}

/// Resident bytes of a process, from /proc/<pid>/statm (4 KiB pages).
fn rss(pid: u32) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).expect("statm");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// KiB of server RSS per idle authenticated connection.
fn idle_memory(kind: Kind) -> f64 {
    let exe = std::env::current_exe().expect("current exe");
    let mut child = ChildGuard(
        Command::new(exe)
            .args(["--child-server", kind.name()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the server"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("the server's address");
    let url = line
        .trim()
        .strip_prefix("URL ")
        .unwrap_or_else(|| panic!("the server printed {line:?}"))
        .to_owned();
    let pid = child.0.id();
    let client_rt = runtime("client");
    let warm = credentials("warm", 20);
    let users = credentials("idle", IDLE_CONNECTIONS);
    drop(client_rt.block_on(connect_many(&url, &warm, 20)));
    std::thread::sleep(Duration::from_millis(300));
    let before = rss(pid);
    let conns = client_rt.block_on(connect_many(&url, &users, 64));
    std::thread::sleep(Duration::from_millis(500));
    let after = rss(pid);
    drop(conns);
    client_rt.shutdown_timeout(Duration::from_secs(5));
    drop(child);
    after.saturating_sub(before) as f64 / IDLE_CONNECTIONS as f64 / 1024.0
}

/// `idle_memory`: KiB of server RSS per idle connection.
pub(crate) fn rows(reps: usize) -> Vec<Row> {
    let sides = both("idle_memory", reps, idle_memory);
    vec![Row::median(
        "idle_memory",
        "KiB/conn",
        &sides,
        |kib| *kib,
        Goal::RatioAndAbsolute(1.5, 24.0),
    )]
}
