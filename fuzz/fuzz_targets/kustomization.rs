//! Kustomizations rendering a file: an overlay (and, when the input has three parts, a base
//! it includes) and the bytes of a manifest they reach. Never panics; rendering keeps every
//! object the file holds, each cited through the overlay, with its record's hash of exactly
//! the JSON kept.
#![no_main]
use evidencer::evidence::record::sha256_hex;
use evidencer::fuzzing;
use evidencer_fuzz::parts;
use libfuzzer_sys::fuzz_target;

const OVERLAY: &str = "overlay/kustomization.yaml";
const BASE: &str = "base/kustomization.yaml";
const FILE: &str = "base/deploy.yaml";

fuzz_target!(|data: &[u8]| {
    let parts = parts(data, 3);
    let (texts, manifest): (&[&[u8]], &[u8]) = match parts.as_slice() {
        [k, m] => (&[*k][..], *m),
        [k, b, m] => (&[*k, *b][..], *m),
        _ => return,
    };
    let Ok(texts) = texts
        .iter()
        .map(|t| std::str::from_utf8(t))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let names = [OVERLAY, BASE];
    let kustomizations: Vec<(&str, &str)> = names.iter().copied().zip(texts).collect();
    let rendered = fuzzing::kustomization(&kustomizations, FILE, manifest);
    let plain = fuzzing::snapshot_file(FILE, manifest);

    let inventory = &rendered.inventory;
    assert_eq!(
        inventory.objects.len(),
        plain.objects.len(),
        "objects lost or gained"
    );
    assert_eq!(inventory.objects.len(), inventory.records.len());
    let unreadable = rendered
        .problems
        .iter()
        .any(|p| p.message.starts_with("invalid kustomization"));
    for (object, record) in inventory.objects.iter().zip(&inventory.records) {
        assert_eq!(object.evidence, record.id);
        assert_eq!(record.sha256, sha256_hex(object.json.as_bytes()));
        let _ = object.value();
        if !unreadable {
            assert_eq!(object.origin.via.as_deref(), Some(OVERLAY));
            assert!(
                record.locator.ends_with(&format!(" via {OVERLAY}")),
                "{}",
                record.locator
            );
        }
    }
    for p in &rendered.problems {
        assert!(
            p.location.starts_with(OVERLAY) || p.location.starts_with(BASE),
            "{}",
            p.location
        );
    }
});
