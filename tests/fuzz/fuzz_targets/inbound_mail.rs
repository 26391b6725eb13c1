#![no_main]

#[path = "../checks.rs"]
#[allow(dead_code)]
mod checks;

libfuzzer_sys::fuzz_target!(
    init: {
        // libfuzzer-sys's hook aborts on every panic, even one that is caught.
        // notifier::inbound catches mail-parser's debug assertion on malformed
        // nested multiparts (the message is then one it cannot read); every
        // other panic still goes to the aborting hook.
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.location().is_some_and(|l| l.file().contains("/mail-parser-")) {
                abort(info);
            }
        }));
    },
    |data: &[u8]| checks::inbound_mail(data)
);
