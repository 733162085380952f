//! The Dockerfile parser: never panics; stages are numbered in order, build only on earlier
//! stages, and every line it cites is a line of the file.
#![no_main]
use evidencer::facts::dockerfile::Base;
use evidencer::fuzzing;
use evidencer_fuzz::{assert_line_in, line_count};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = line_count(text);
    let parsed = fuzzing::dockerfile(text);
    for (i, stage) in parsed.stages.iter().enumerate() {
        assert_eq!(stage.index, i);
        assert_line_in(stage.line, 1, lines, "FROM");
        if let Base::Stage { index } = stage.base {
            assert!(index < i, "stage {i} builds on stage {index}");
        }
        if let Some(user) = &stage.user {
            assert_line_in(user.line, 1, lines, "USER");
        }
        for upgrade in &stage.upgrades {
            assert_line_in(upgrade.line, 1, lines, "upgrade");
        }
        let _ = parsed.effective_user(stage);
        let _ = parsed.root_base(stage);
    }
    for (line, _) in &parsed.problems {
        assert_line_in(*line, 1, lines, "problem");
    }
});
