fn main() {
    let line = format!(
        "started pid={} mark={} prompt={:?}",
        std::process::id(),
        narration_core::MARK,
        llm_worker_rbee::PROMPTS.lines().next().unwrap_or("")
    );
    println!("{}", narration_core::narrate("llm-worker-rbee", &line));
    println!("{}", llm_worker_rbee::describe());
    if let Some(greeting) = narration_core::GREETING {
        println!("{}", narration_core::narrate("llm-worker-rbee", greeting));
    }
    narration_core::stay_if_supervised();
}
