//! Node.js decisions that the fixture suite (safe mode, whole fixtures)
//! does not show on its own: the `--unsafe` Next.js standalone variant,
//! and small build contexts written here for one decision each.

mod common;

use std::path::Path;

use msb::knowledge::Knowledge;
use msb::migrate::{Migration, Options, Status, context_for, migrate};
use msb::source::SourceFile;

fn run_dir(dir: &Path, allow_unsafe: bool) -> Migration {
    let path = dir.join("Dockerfile");
    let source = SourceFile::read(&path).unwrap();
    let k = Knowledge::builtin().unwrap();
    migrate(
        &source,
        &context_for(&path, None),
        &k,
        &Options {
            allow_unsafe,
            ..Options::default()
        },
    )
    .unwrap()
}

/// A build context in a temporary folder: `(path, content)` pairs.
fn context(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
    dir
}

const EXPRESS_PACKAGE: &str = r#"{
  "name": "api",
  "scripts": { "start": "node server.js", "migrate": "prisma migrate deploy" },
  "dependencies": { "express": "^4.19.2", "@prisma/client": "^5.12.1" },
  "devDependencies": { "prisma": "^5.12.1", "jest": "^29.7.0" }
}"#;

#[test]
fn next_standalone_server_needs_unsafe() {
    let dir = common::root().join("fixtures/node/nextjs-standalone-config-npm-start");
    let safe = run_dir(&dir, false);
    assert_eq!(safe.status, Status::Migrated);
    assert!(safe.output.contains("CMD [\"npm\", \"start\"]"));
    assert!(safe.unsafe_available);
    assert!(
        safe.plan
            .as_ref()
            .unwrap()
            .unsafe_alternatives
            .iter()
            .any(|w| w.contains("standalone"))
    );
    let unsafe_run = run_dir(&dir, true);
    assert_eq!(unsafe_run.status, Status::Migrated);
    let decisions: Vec<String> = unsafe_run
        .plan
        .as_ref()
        .unwrap()
        .decisions
        .iter()
        .map(|d| format!("[{:?}] {}: {}", d.applicability, d.pass, d.summary))
        .collect();
    insta::assert_snapshot!(
        "next_standalone_unsafe",
        format!("{}\n{}", unsafe_run.output, decisions.join("\n"))
    );
}

#[test]
fn a_dev_dependency_the_command_runs_keeps_dev_dependencies() {
    let dir = context(&[
        ("package.json", EXPRESS_PACKAGE),
        ("server.js", "require('express')().listen(3000);\n"),
        (
            "Dockerfile",
            "FROM node:20\nWORKDIR /app\nCOPY package.json ./\nRUN npm install\nCOPY . .\nCMD npm run migrate && npm start\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert_eq!(m.status, Status::Migrated, "{:?}", m.reason);
    assert!(!m.output.contains("npm prune"), "{}", m.output);
    assert!(
        m.analysis
            .warnings
            .iter()
            .any(|w| w.contains("from the dev dependency prisma")),
        "{:?}",
        m.analysis.warnings
    );
}

#[test]
fn npm_6_prunes_with_production_and_npm_7_with_omit_dev() {
    for (tag, expected) in [
        ("14", "npm prune --production"),
        ("16-alpine", "npm prune --omit=dev"),
    ] {
        let dir = context(&[
            ("package.json", EXPRESS_PACKAGE),
            ("server.js", "require('express')().listen(3000);\n"),
            (
                "Dockerfile",
                &format!(
                    "FROM node:{tag}\nWORKDIR /app\nCOPY . .\nRUN npm install\nCMD [\"node\", \"server.js\"]\n"
                ),
            ),
        ]);
        let m = run_dir(dir.path(), false);
        assert!(m.output.contains(expected), "{tag}: {}", m.output);
    }
}

#[test]
fn node_env_production_before_the_install_leaves_nothing_to_prune() {
    let dir = context(&[
        ("package.json", EXPRESS_PACKAGE),
        ("server.js", "require('express')().listen(3000);\n"),
        (
            "Dockerfile",
            "FROM node:20\nENV NODE_ENV=production\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert_eq!(m.status, Status::Migrated);
    assert!(!m.output.contains("prune"), "{}", m.output);
    // `--include=dev` overrides NODE_ENV: then the prune is needed.
    let dir = context(&[
        ("package.json", EXPRESS_PACKAGE),
        ("server.js", "require('express')().listen(3000);\n"),
        (
            "Dockerfile",
            "FROM node:20\nENV NODE_ENV=production\nWORKDIR /app\nCOPY . .\nRUN npm ci --include=dev\nCMD [\"node\", \"server.js\"]\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert!(m.output.contains("npm prune --omit=dev"), "{}", m.output);
}

#[test]
fn tini_from_apk_is_a_known_entrypoint() {
    let dir = context(&[
        ("package.json", EXPRESS_PACKAGE),
        ("server.js", "require('express')().listen(3000);\n"),
        (
            "Dockerfile",
            "FROM node:20-alpine\nRUN apk add --no-cache tini\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nENTRYPOINT [\"/sbin/tini\", \"--\"]\nCMD [\"node\", \"server.js\"]\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert_eq!(m.status, Status::Migrated, "{:?}", m.reason);
    assert!(m.output.contains("apk add --no-cache tini"), "{}", m.output);
}

#[test]
fn a_script_outside_the_app_folder_that_nothing_copies_is_refused() {
    let dir = context(&[
        ("package.json", EXPRESS_PACKAGE),
        ("src/index.ts", "console.log('hi');\n"),
        (
            "Dockerfile",
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npx tsc --outDir /dist\nCMD [\"node\", \"/dist/index.js\"]\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert_eq!(m.status, Status::Skipped);
    let reason = m.reason.unwrap().reason;
    assert!(reason.contains("outside the app folder"), "{reason}");
}

#[test]
fn pnpm_at_run_time_without_a_known_version_is_refused() {
    let dir = context(&[
        (
            "package.json",
            r#"{"name": "x", "scripts": {"start": "node index.js"}, "dependencies": {"express": "4.19.2"}}"#,
        ),
        ("index.js", "require('express')().listen(3000);\n"),
        (
            "Dockerfile",
            "FROM node:20\nRUN corepack enable\nWORKDIR /app\nCOPY . .\nRUN pnpm install\nCMD [\"pnpm\", \"start\"]\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert_eq!(m.status, Status::Skipped);
    let reason = m.reason.unwrap().reason;
    assert!(reason.contains("which version the builder had"), "{reason}");
}

#[test]
fn global_nodemon_is_installed_again_with_a_warning() {
    let dir = context(&[
        ("package.json", EXPRESS_PACKAGE),
        ("server.js", "require('express')().listen(3000);\n"),
        (
            "Dockerfile",
            "FROM node:18-bullseye\nRUN npm install -g nodemon@3.1.0\nWORKDIR /usr/src/app\nCOPY . .\nRUN npm install --production\nCMD [\"nodemon\", \"server.js\"]\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert_eq!(m.status, Status::Migrated, "{:?}", m.reason);
    assert!(
        m.output
            .contains("FROM node:18-bullseye-slim\nRUN npm install -g nodemon@3.1.0\n"),
        "{}",
        m.output
    );
    assert!(
        m.analysis
            .warnings
            .iter()
            .any(|w| w.contains("development file watcher")),
        "{:?}",
        m.analysis.warnings
    );
}

#[test]
fn next_config_importing_a_dev_dependency_keeps_dev_dependencies() {
    let dir = context(&[
        (
            "package.json",
            r#"{"name": "site", "scripts": {"build": "next build", "start": "next start"},
               "dependencies": {"next": "14.2.3", "react": "18.3.1", "react-dom": "18.3.1"},
               "devDependencies": {"@next/bundle-analyzer": "14.2.3", "typescript": "5.4.5"}}"#,
        ),
        (
            "next.config.js",
            "const withBundleAnalyzer = require('@next/bundle-analyzer')({ enabled: process.env.ANALYZE === 'true' });\nmodule.exports = withBundleAnalyzer({});\n",
        ),
        (
            "pages/index.js",
            "export default function Home() { return null; }\n",
        ),
        (
            "Dockerfile",
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\", \"start\"]\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert_eq!(m.status, Status::Migrated, "{:?}", m.reason);
    assert!(!m.output.contains("prune"), "{}", m.output);
    assert!(
        m.analysis
            .warnings
            .iter()
            .any(|w| w.contains("@next/bundle-analyzer")),
        "{:?}",
        m.analysis.warnings
    );
}

#[test]
fn a_content_folder_next_does_not_compile_keeps_the_app_folder_whole() {
    let dir = context(&[
        (
            "package.json",
            r#"{"name": "blog", "scripts": {"build": "next build", "start": "next start"},
               "dependencies": {"next": "14.2.3", "react": "18.3.1", "react-dom": "18.3.1", "gray-matter": "4.0.3"}}"#,
        ),
        ("next.config.js", "module.exports = {};\n"),
        ("posts/hello.md", "---\ntitle: Hello\n---\nHi\n"),
        (
            "pages/index.js",
            "export default function Home() { return null; }\n",
        ),
        (
            "Dockerfile",
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\", \"start\"]\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert_eq!(m.status, Status::Migrated, "{:?}", m.reason);
    assert!(
        m.output
            .contains("COPY --from=builder --chown=1000:1000 /app /app\n"),
        "{}",
        m.output
    );
}

const VITE_PACKAGE: &str = r#"{"name": "spa", "scripts": {"build": "vite build"},
  "dependencies": {"vue": "3.4.21"}, "devDependencies": {"vite": "5.2.8"}}"#;
const SERVE_DOCKERFILE: &str = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nRUN npm i -g serve@14.2.1\nCMD [\"serve\", \"-s\", \"dist\", \"-l\", \"8080\"]\n";

#[test]
fn a_static_folder_is_copied_alone_only_when_the_build_is_known_to_write_it() {
    // vite build writes dist/: only dist and serve.
    let dir = context(&[
        ("package.json", VITE_PACKAGE),
        ("index.html", "<div id=app></div>\n"),
        ("Dockerfile", SERVE_DOCKERFILE),
    ]);
    let m = run_dir(dir.path(), false);
    assert!(
        m.output.contains("RUN npm install -g serve@14.2.1\n")
            && m.output
                .contains("COPY --from=builder /app/dist /app/dist\n"),
        "{}",
        m.output
    );
    // A vite config that may move the output: the app folder whole.
    let dir = context(&[
        ("package.json", VITE_PACKAGE),
        (
            "vite.config.js",
            "export default { build: { outDir: 'public/app' } };\n",
        ),
        ("Dockerfile", SERVE_DOCKERFILE),
    ]);
    let m = run_dir(dir.path(), false);
    assert!(
        m.output
            .contains("COPY --from=builder --chown=1000:1000 /app /app\n"),
        "{}",
        m.output
    );
    // react-scripts writes build/, not the dist/ the command serves.
    let dir = context(&[
        (
            "package.json",
            r#"{"name": "cra", "scripts": {"build": "react-scripts build"},
                "dependencies": {"react": "18.2.0", "react-scripts": "5.0.1"}}"#,
        ),
        ("Dockerfile", SERVE_DOCKERFILE),
    ]);
    let m = run_dir(dir.path(), false);
    assert!(!m.output.contains("/app/dist /app/dist"), "{}", m.output);
}

#[test]
fn the_prune_keeps_the_install_s_peer_dependency_leniency_and_mounts() {
    let dir = context(&[
        ("package.json", EXPRESS_PACKAGE),
        ("server.js", "require('express')().listen(3000);\n"),
        (
            "Dockerfile",
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm install --legacy-peer-deps\nCMD [\"node\", \"server.js\"]\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert!(
        m.output.contains(
            "RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm prune --omit=dev --legacy-peer-deps\n"
        ),
        "{}",
        m.output
    );
}

#[test]
fn yarn_berry_ignores_node_env_and_a_focus_already_prunes() {
    let package = r#"{"name": "w", "packageManager": "yarn@4.1.1", "scripts": {"build": "tsc"},
      "dependencies": {"pino": "8.20.0"}, "devDependencies": {"typescript": "5.4.5"}}"#;
    let files = |dockerfile: &'static str| {
        context(&[
            ("package.json", package),
            (".yarnrc.yml", "nodeLinker: node-modules\n"),
            ("yarn.lock", "__metadata:\n  version: 8\n"),
            ("Dockerfile", dockerfile),
        ])
    };
    // NODE_ENV=production does not make `yarn install` (Yarn 2+) skip dev
    // dependencies: the builder still needs the focus.
    let dir = files(
        "FROM node:20\nENV NODE_ENV=production\nRUN corepack enable\nWORKDIR /app\nCOPY . .\nRUN yarn install --immutable && yarn build\nCMD [\"node\", \"dist/index.js\"]\n",
    );
    let m = run_dir(dir.path(), false);
    assert!(
        m.output
            .contains("RUN yarn workspaces focus --all --production\n"),
        "{}",
        m.output
    );
    let dir = files(
        "FROM node:20\nRUN corepack enable\nWORKDIR /app\nCOPY . .\nRUN yarn install --immutable && yarn build && yarn workspaces focus --all --production\nCMD [\"node\", \"dist/index.js\"]\n",
    );
    let m = run_dir(dir.path(), false);
    assert_eq!(m.status, Status::Migrated, "{:?}", m.reason);
    assert_eq!(
        m.output.matches("workspaces focus").count(),
        1,
        "{}",
        m.output
    );
}

#[test]
fn an_entrypoint_program_takes_the_cmd_as_its_arguments() {
    let dir = context(&[
        ("package.json", EXPRESS_PACKAGE),
        ("server.js", "require('express')().listen(3000);\n"),
        (
            "Dockerfile",
            "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\nENTRYPOINT [\"node\"]\nCMD [\"server.js\"]\n",
        ),
    ]);
    let m = run_dir(dir.path(), false);
    assert_eq!(m.status, Status::Migrated, "{:?}", m.reason);
    assert!(m.output.contains("npm prune --omit=dev"), "{}", m.output);
}
