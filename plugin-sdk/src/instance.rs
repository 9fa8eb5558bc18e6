//! The one plugin instance a component holds, created on first use.
//!
//! A component exports exactly one world, so one slot is enough; the host calls a component
//! from one thread at a time and never re-enters it, so a `RefCell` is enough too.

use std::any::Any;
use std::cell::RefCell;

thread_local! {
    static INSTANCE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

/// Run `f` on the plugin instance of type `T`, creating it with `T::default()` first if needed.
pub(crate) fn with_instance<T: Default + 'static, R>(f: impl FnOnce(&mut T) -> R) -> R {
    INSTANCE.with(|slot| {
        let mut slot = slot.borrow_mut();
        let instance = slot.get_or_insert_with(|| Box::new(T::default()));
        let instance = instance
            .downcast_mut::<T>()
            .expect("a component exports one plugin type");
        f(instance)
    })
}
