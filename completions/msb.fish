# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_msb_global_optspecs
    string join \n h/help V/version
end

function __fish_msb_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_msb_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_msb_using_subcommand
    set -l cmd (__fish_msb_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c msb -n "__fish_msb_needs_command" -s h -l help -d 'Print help'
complete -c msb -n "__fish_msb_needs_command" -s V -l version -d 'Print version'
complete -c msb -n "__fish_msb_needs_command" -f -a "migrate" -d 'Migrate Dockerfiles (default: show a unified diff)'
complete -c msb -n "__fish_msb_needs_command" -f -a "explain" -d 'Show what msb infers about a Dockerfile, instruction by instruction'
complete -c msb -n "__fish_msb_needs_command" -f -a "verify" -d 'Build the original and the migrated Dockerfile with the local engine and compare the images: config, non-root user, a smoke run, sizes'
complete -c msb -n "__fish_msb_needs_command" -f -a "report" -d 'Work with the reports of `--report FILE`'
complete -c msb -n "__fish_msb_needs_command" -f -a "completions" -d 'Print the shell completion script for SHELL on stdout'
complete -c msb -n "__fish_msb_needs_command" -f -a "man" -d 'Print msb\'s man page (roff) on stdout, or write every page to a folder'
complete -c msb -n "__fish_msb_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l format -d 'Output format of stdout' -r -f -a "text\t''
json\t''"
complete -c msb -n "__fish_msb_using_subcommand migrate" -l output-format -d 'One document for a CI system on stdout instead of diffs: SARIF 2.1.0 (GitHub code scanning), GitLab Code Quality, JUnit XML or GitHub workflow annotations. Exit codes as with --check' -r -f -a "sarif\t'SARIF 2.1.0, for GitHub code scanning (upload-sarif)'
gitlab\t'GitLab Code Quality JSON (artifacts:reports:codequality)'
junit\t'JUnit XML: one test case per Dockerfile'
github\t'GitHub workflow commands (`::warning file=…::…`): annotations'"
complete -c msb -n "__fish_msb_using_subcommand migrate" -l context -d 'The build context, when it is not the Dockerfile\'s folder' -r -F
complete -c msb -n "__fish_msb_using_subcommand migrate" -l transforms -d 'A folder of knowledge packs (*.toml) that add to or replace the built-in ones' -r -F
complete -c msb -n "__fish_msb_using_subcommand migrate" -l include -d 'Only Dockerfiles whose path (from the folder searched), or a folder above it, matches this glob, as ripgrep\'s -g reads it (`**`, `{a,b}`, `[abc]`, `?`; no `/`: any depth); repeatable' -r
complete -c msb -n "__fish_msb_using_subcommand migrate" -l exclude -d 'Leave out files and folders matching this glob (as in .gitignore); repeatable' -r
complete -c msb -n "__fish_msb_using_subcommand migrate" -l repos-file -d 'Repository folders to search, one per line (# comments), besides PATHs' -r -F
complete -c msb -n "__fish_msb_using_subcommand migrate" -s j -l jobs -d 'Threads (default: one per CPU)' -r
complete -c msb -n "__fish_msb_using_subcommand migrate" -l shard -d 'Only the I-th of N parts of the Dockerfiles found (1-based, e.g. 2/4), split by a hash of each file\'s path: N jobs cover them once' -r
complete -c msb -n "__fish_msb_using_subcommand migrate" -l report -d 'Write a report of every Dockerfile found to FILE' -r -F
complete -c msb -n "__fish_msb_using_subcommand migrate" -l report-format -d 'Format of --report' -r -f -a "json\t''
markdown\t''"
complete -c msb -n "__fish_msb_using_subcommand migrate" -l pr-body -d 'Write a markdown pull-request body to FILE: the files migrated, their final bases, the estimated saving, what was left and why. (Keep it outside the repository, or the fleet tool commits it.)' -r -F
complete -c msb -n "__fish_msb_using_subcommand migrate" -l only-failed -d 'Run again only the files a previous JSON report says failed' -r -F
complete -c msb -n "__fish_msb_using_subcommand migrate" -l config -d 'Settings for every repository, instead of each one\'s msb.toml' -r -F
complete -c msb -n "__fish_msb_using_subcommand migrate" -l branch -d 'The branch --git-commit creates' -r
complete -c msb -n "__fish_msb_using_subcommand migrate" -l engine -d 'The container engine\'s CLI (podman where its CLI is docker\'s)' -r -f -a "docker\t''
podman\t''"
complete -c msb -n "__fish_msb_using_subcommand migrate" -l smoke -d 'Start both containers with these arguments after the image name (they replace CMD), e.g. --smoke "--port 9000" (default: the image\'s own command)' -r
complete -c msb -n "__fish_msb_using_subcommand migrate" -l smoke-seconds -d 'How long both containers run before they are compared' -r
complete -c msb -n "__fish_msb_using_subcommand migrate" -l build-arg -d 'A build argument for both builds; repeatable' -r
complete -c msb -n "__fish_msb_using_subcommand migrate" -l env -d 'An environment variable for both containers of the smoke run (an app that needs its platform\'s settings, PORT on Cloud Run); repeatable' -r
complete -c msb -n "__fish_msb_using_subcommand migrate" -l env-file -d 'A file of KEY=VALUE lines for both containers of the smoke run, as `docker run --env-file` reads it; repeatable' -r -F
complete -c msb -n "__fish_msb_using_subcommand migrate" -l build-with -d 'How to build: BuildKit when `docker buildx version` works (auto), else the classic builder' -r -f -a "auto\t''
buildkit\t''
classic\t''"
complete -c msb -n "__fish_msb_using_subcommand migrate" -l builder -d 'Build with this buildx builder instance (`docker buildx build --builder NAME --load`): a remote or Kubernetes BuildKit, say. The images are loaded into the local engine, which runs them. Checked with `docker buildx inspect NAME` before any build' -r
complete -c msb -n "__fish_msb_using_subcommand migrate" -l diff -d 'Print a unified diff on stdout (the default)'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l write -d 'Rewrite the files in place, atomically'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l check -d 'Exit 1 if any file would change (may be combined with --diff)'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l stdout -d 'Print the migrated Dockerfile of one file (the original if skipped)'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l unsafe -d 'Also apply unsafe decisions'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l no-ignore -d 'Also search what .gitignore and similar files hide'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l git-commit -d 'With --write: commit the migrated Dockerfiles of each repository on a new branch, leaving the checked-out branch and working tree alone'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l dry-run -d 'With --git-commit: show what would be committed, commit nothing'
complete -c msb -n "__fish_msb_using_subcommand migrate" -s v -l verbose -d 'Print every decision of each migrated file, whatever the number of files'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l verify -d 'Build and compare each migration with the local engine (see `msb verify`); with --write, only verified files are written'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l observe -d 'For a file msb would skip for a RUN it cannot read (a vendor script, `curl | sh`): build the original with the local Docker engine\'s classic builder and take the paths each RUN\'s layer holds as what it makes. Uses --build-arg; pulls what the build pulls'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l no-smoke -d 'No smoke run (the app needs a database or another service)'
complete -c msb -n "__fish_msb_using_subcommand migrate" -l keep-images -d 'Keep the images msb built (they are removed by default)'
complete -c msb -n "__fish_msb_using_subcommand migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c msb -n "__fish_msb_using_subcommand explain" -l format -r -f -a "text\t''
json\t''"
complete -c msb -n "__fish_msb_using_subcommand explain" -l context -r -F
complete -c msb -n "__fish_msb_using_subcommand explain" -l transforms -r -F
complete -c msb -n "__fish_msb_using_subcommand explain" -l build-arg -d 'A build argument for the --observe build; repeatable' -r
complete -c msb -n "__fish_msb_using_subcommand explain" -l unsafe
complete -c msb -n "__fish_msb_using_subcommand explain" -l observe -d 'Build the original with the local Docker engine\'s classic builder when a RUN is one msb cannot read, and take what its layer holds as what it makes (see `msb migrate --observe`)'
complete -c msb -n "__fish_msb_using_subcommand explain" -s h -l help -d 'Print help'
complete -c msb -n "__fish_msb_using_subcommand verify" -l against -d 'Compare the original (one PATH) with this Dockerfile instead of msb\'s migration: a hand-written one, an earlier msb output' -r -F
complete -c msb -n "__fish_msb_using_subcommand verify" -l engine -d 'The container engine\'s CLI (podman where its CLI is docker\'s)' -r -f -a "docker\t''
podman\t''"
complete -c msb -n "__fish_msb_using_subcommand verify" -l smoke -d 'Start both containers with these arguments after the image name (they replace CMD), e.g. --smoke "--port 9000" (default: the image\'s own command)' -r
complete -c msb -n "__fish_msb_using_subcommand verify" -l smoke-seconds -d 'How long both containers run before they are compared' -r
complete -c msb -n "__fish_msb_using_subcommand verify" -l build-arg -d 'A build argument for both builds; repeatable' -r
complete -c msb -n "__fish_msb_using_subcommand verify" -l env -d 'An environment variable for both containers of the smoke run (an app that needs its platform\'s settings, PORT on Cloud Run); repeatable' -r
complete -c msb -n "__fish_msb_using_subcommand verify" -l env-file -d 'A file of KEY=VALUE lines for both containers of the smoke run, as `docker run --env-file` reads it; repeatable' -r -F
complete -c msb -n "__fish_msb_using_subcommand verify" -l build-with -d 'How to build: BuildKit when `docker buildx version` works (auto), else the classic builder' -r -f -a "auto\t''
buildkit\t''
classic\t''"
complete -c msb -n "__fish_msb_using_subcommand verify" -l builder -d 'Build with this buildx builder instance (`docker buildx build --builder NAME --load`): a remote or Kubernetes BuildKit, say. The images are loaded into the local engine, which runs them. Checked with `docker buildx inspect NAME` before any build' -r
complete -c msb -n "__fish_msb_using_subcommand verify" -l format -d 'Output format of stdout' -r -f -a "text\t''
json\t''"
complete -c msb -n "__fish_msb_using_subcommand verify" -l report -d 'Write a JSON report of every Dockerfile verified to FILE' -r -F
complete -c msb -n "__fish_msb_using_subcommand verify" -l context -d 'The build context, when it is not the Dockerfile\'s folder' -r -F
complete -c msb -n "__fish_msb_using_subcommand verify" -l transforms -r -F
complete -c msb -n "__fish_msb_using_subcommand verify" -s j -l jobs -d 'Verify N Dockerfiles at a time. 1 (the default) suits the local engine, where each build already uses the whole machine; more is meant for a remote builder (--builder). Output and report are in path order whatever N is' -r
complete -c msb -n "__fish_msb_using_subcommand verify" -l no-smoke -d 'No smoke run (the app needs a database or another service)'
complete -c msb -n "__fish_msb_using_subcommand verify" -l keep-images -d 'Keep the images msb built (they are removed by default)'
complete -c msb -n "__fish_msb_using_subcommand verify" -l unsafe -d 'Verify the migration `--unsafe` makes'
complete -c msb -n "__fish_msb_using_subcommand verify" -s h -l help -d 'Print help'
complete -c msb -n "__fish_msb_using_subcommand report; and not __fish_seen_subcommand_from merge help" -s h -l help -d 'Print help'
complete -c msb -n "__fish_msb_using_subcommand report; and not __fish_seen_subcommand_from merge help" -f -a "merge" -d 'Combine the JSON reports of the shards of one run (`--shard I/N --report FILE`) into one report on stdout, with the totals counted again from the records'
complete -c msb -n "__fish_msb_using_subcommand report; and not __fish_seen_subcommand_from merge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msb -n "__fish_msb_using_subcommand report; and __fish_seen_subcommand_from merge" -l format -d 'json: the --report format; markdown: the table of --report-format markdown' -r -f -a "json\t''
markdown\t''"
complete -c msb -n "__fish_msb_using_subcommand report; and __fish_seen_subcommand_from merge" -s h -l help -d 'Print help'
complete -c msb -n "__fish_msb_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "merge" -d 'Combine the JSON reports of the shards of one run (`--shard I/N --report FILE`) into one report on stdout, with the totals counted again from the records'
complete -c msb -n "__fish_msb_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msb -n "__fish_msb_using_subcommand completions" -s h -l help -d 'Print help'
complete -c msb -n "__fish_msb_using_subcommand man" -l out-dir -d 'Write msb.1 and one page per subcommand (msb-migrate.1...) into DIR' -r -F
complete -c msb -n "__fish_msb_using_subcommand man" -s h -l help -d 'Print help'
complete -c msb -n "__fish_msb_using_subcommand help; and not __fish_seen_subcommand_from migrate explain verify report completions man help" -f -a "migrate" -d 'Migrate Dockerfiles (default: show a unified diff)'
complete -c msb -n "__fish_msb_using_subcommand help; and not __fish_seen_subcommand_from migrate explain verify report completions man help" -f -a "explain" -d 'Show what msb infers about a Dockerfile, instruction by instruction'
complete -c msb -n "__fish_msb_using_subcommand help; and not __fish_seen_subcommand_from migrate explain verify report completions man help" -f -a "verify" -d 'Build the original and the migrated Dockerfile with the local engine and compare the images: config, non-root user, a smoke run, sizes'
complete -c msb -n "__fish_msb_using_subcommand help; and not __fish_seen_subcommand_from migrate explain verify report completions man help" -f -a "report" -d 'Work with the reports of `--report FILE`'
complete -c msb -n "__fish_msb_using_subcommand help; and not __fish_seen_subcommand_from migrate explain verify report completions man help" -f -a "completions" -d 'Print the shell completion script for SHELL on stdout'
complete -c msb -n "__fish_msb_using_subcommand help; and not __fish_seen_subcommand_from migrate explain verify report completions man help" -f -a "man" -d 'Print msb\'s man page (roff) on stdout, or write every page to a folder'
complete -c msb -n "__fish_msb_using_subcommand help; and not __fish_seen_subcommand_from migrate explain verify report completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msb -n "__fish_msb_using_subcommand help; and __fish_seen_subcommand_from report" -f -a "merge" -d 'Combine the JSON reports of the shards of one run (`--shard I/N --report FILE`) into one report on stdout, with the totals counted again from the records'
