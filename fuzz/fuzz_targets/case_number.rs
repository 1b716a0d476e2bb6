//! The case-number parser (R4) takes whatever a clerk or the case-management system types.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let configured = ["示".to_string()];
    if let Ok(parsed) = liuhen_rules::parse_case_number_with(text, &configured) {
        // What was accepted is accepted again in its normalised form, with the same parts, and
        // a recorded case number parses the same whatever the configuration.
        let again = liuhen_rules::parse_case_number_with(&parsed.text, &configured).expect("normalised form parses");
        assert_eq!(again.text, parsed.text);
        assert_eq!((again.year, &again.case_type_code), (parsed.year, &parsed.case_type_code));
        let recorded = liuhen_rules::parse_recorded_case_number(text).expect("accepted, so recorded parses");
        assert_eq!(recorded.text, parsed.text);
    }
});
