//! `rbee-graph watch`: what watch mode did, a line each on stderr.

use rbee_graph_engine::WatchEvent;

use super::reasons;

/// One line on stderr per thing watch mode did (stdout belongs to the daemons).
pub fn watch_event(event: WatchEvent) {
    match event {
        WatchEvent::Started { binary, pid } => {
            eprintln!("watch: started {} (pid {pid})", binary.name)
        }
        WatchEvent::Rebuilding { stale } => {
            for (binary, why) in stale {
                let why = why.first().map(reasons::describe_stale);
                eprintln!(
                    "watch: {} is stale: {}",
                    binary.name,
                    why.unwrap_or_default()
                );
            }
        }
        WatchEvent::Restarted {
            binary,
            old_pid,
            pid,
        } => {
            eprintln!("watch: restarted {} (pid {old_pid} -> {pid})", binary.name)
        }
        WatchEvent::BuildFailed { error } => {
            eprintln!("watch: build failed, the daemons keep running: {error}")
        }
        WatchEvent::Exited { binary, code } => match code {
            Some(code) => eprintln!("watch: {} exited with status {code}", binary.name),
            None => eprintln!("watch: {} was killed by a signal", binary.name),
        },
    }
}
