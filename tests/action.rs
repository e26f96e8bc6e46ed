//! action.yml runs the steps of scripts/action-steps (which .ci/run
//! exercises with `scripts/action-steps test`): a step that ran something
//! else would not be what CI checked. Read with PyYAML (pre-commit's
//! dependency, installed by .ci/run).

mod common;

use std::process::Command;

#[test]
fn the_action_runs_the_script_ci_runs() {
    if !common::python_module("yaml", "the action.yml check") {
        return;
    }
    let script = "import json, sys, yaml\n\
        print(json.dumps(yaml.safe_load(open(sys.argv[1]))))\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(common::root().join("action.yml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let action: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert_eq!(
        &runs[..2],
        [
            "\"$GITHUB_ACTION_PATH/scripts/action-steps\" install",
            "\"$GITHUB_ACTION_PATH/scripts/action-steps\" check"
        ]
    );
    let check = steps.iter().find(|s| s["id"] == "check").unwrap();
    assert_eq!(check["env"]["MSB_SARIF"], "${{ inputs.sarif-file }}");
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload-sarif step");
    assert_eq!(upload["with"]["sarif_file"], "${{ inputs.sarif-file }}");
    // The script the steps run exists, runs, and has both steps.
    let usage = Command::new(common::root().join("scripts/action-steps"))
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("install|check|test"));
}
