//! The kernel's trace pipe: where bpf_trace_printk() writes.

use std::sync::Mutex;

/// Lines written by bpf_trace_printk(), in order. One per `Bpf` instance.
#[derive(Debug, Default)]
pub struct TracePipe {
    lines: Mutex<Vec<String>>,
}

/// Lines kept before the oldest are dropped (the kernel's ring buffer also
/// overwrites old entries).
const MAX_LINES: usize = 65536;

impl TracePipe {
    pub fn write(&self, line: String) {
        let mut l = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if l.len() == MAX_LINES {
            l.remove(0);
        }
        l.push(line);
    }

    /// Read and consume everything written so far, as reading trace_pipe does.
    pub fn drain(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
