//! The CPU budget of one plugin call. The epoch ticker only says "this much wall-clock time
//! has passed"; when a call reaches its epoch deadline, [`CallBudget::on_deadline`] reads the
//! CPU time the call's own thread has spent since the call began and either stops the call
//! (budget spent: a loop) or lets it run on for at most what is left. On a machine where more
//! threads want the cores than there are cores, a call that waited for a core is therefore
//! not mistaken for a plugin that hangs.

use wasmtime::{Trap, UpdateDeadline};

use super::EPOCH_TICK;

/// The budget of the call in progress.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CallBudget {
    /// The thread's CPU time when the call began, nanoseconds.
    started_ns: u64,
    /// CPU time the call may spend, nanoseconds.
    budget_ns: u64,
}

impl CallBudget {
    /// A budget of `budget_us` microseconds of CPU time, starting now on this thread.
    pub fn start(budget_us: u64) -> CallBudget {
        CallBudget {
            started_ns: thread_cpu_ns(),
            budget_ns: budget_us.saturating_mul(1_000),
        }
    }

    /// Epoch ticks until the budget could be spent at the earliest (CPU time never passes
    /// faster than wall-clock time on one thread).
    pub(crate) fn ticks(&self) -> u64 {
        ticks_for(self.budget_ns)
    }

    /// The call reached its epoch deadline: trap with [`Trap::Interrupt`] when the budget is
    /// spent, otherwise set the next deadline at what is left.
    pub(crate) fn on_deadline(&self) -> wasmtime::Result<UpdateDeadline> {
        let spent = thread_cpu_ns().saturating_sub(self.started_ns);
        if spent >= self.budget_ns {
            return Err(Trap::Interrupt.into());
        }
        Ok(UpdateDeadline::Continue(ticks_for(self.budget_ns - spent)))
    }
}

fn ticks_for(nanos: u64) -> u64 {
    (u128::from(nanos) / EPOCH_TICK.as_nanos()).max(1) as u64
}

/// CPU time this thread has spent, nanoseconds.
#[cfg(unix)]
pub fn thread_cpu_ns() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    (now.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(now.tv_nsec as u64)
}

/// Wall-clock time where no per-thread CPU clock exists (the deadline is then wall-clock).
#[cfg(not(unix))]
pub fn thread_cpu_ns() -> u64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    ORIGIN
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_nanos() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_sleeps_spends_no_cpu_time_and_one_that_spins_does() {
        let before = thread_cpu_ns();
        std::thread::sleep(std::time::Duration::from_millis(30));
        let slept = thread_cpu_ns() - before;
        assert!(slept < 10_000_000, "sleeping spent {slept} ns of CPU");
        let (cpu, wall) = (thread_cpu_ns(), std::time::Instant::now());
        while thread_cpu_ns() - cpu < 20_000_000 {
            assert!(
                wall.elapsed() < std::time::Duration::from_secs(20),
                "spinning does not advance the thread's CPU clock"
            );
            std::hint::spin_loop();
        }
    }

    #[test]
    fn a_spent_budget_interrupts_and_an_unspent_one_runs_on_for_what_is_left() {
        let budget = CallBudget::start(1_000_000);
        match budget.on_deadline() {
            Ok(UpdateDeadline::Continue(ticks)) => assert!(ticks > 900 && ticks <= 1_000),
            _ => panic!("a fresh 1 s budget lets the call run on"),
        }
        let spent = CallBudget::start(0);
        let trap = spent
            .on_deadline()
            .err()
            .expect("a spent budget stops the call");
        assert_eq!(trap.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
    }
}
