
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'msb' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'msb'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'msb' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Migrate Dockerfiles (default: show a unified diff)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Show what msb infers about a Dockerfile, instruction by instruction')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Build the original and the migrated Dockerfile with the local engine and compare the images: config, non-root user, a smoke run, sizes')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Work with the reports of `--report FILE`')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the shell completion script for SHELL on stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print msb''s man page (roff) on stdout, or write every page to a folder')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msb;migrate' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of stdout')
            [CompletionResult]::new('--output-format', '--output-format', [CompletionResultType]::ParameterName, 'One document for a CI system on stdout instead of diffs: SARIF 2.1.0 (GitHub code scanning), GitLab Code Quality, JUnit XML or GitHub workflow annotations. Exit codes as with --check')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The build context, when it is not the Dockerfile''s folder')
            [CompletionResult]::new('--transforms', '--transforms', [CompletionResultType]::ParameterName, 'A folder of knowledge packs (*.toml) that add to or replace the built-in ones')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Only Dockerfiles whose path (from the folder searched), or a folder above it, matches this glob, as ripgrep''s -g reads it (`**`, `{a,b}`, `[abc]`, `?`; no `/`: any depth); repeatable')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out files and folders matching this glob (as in .gitignore); repeatable')
            [CompletionResult]::new('--repos-file', '--repos-file', [CompletionResultType]::ParameterName, 'Repository folders to search, one per line (# comments), besides PATHs')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Threads (default: one per CPU)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Threads (default: one per CPU)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the I-th of N parts of the Dockerfiles found (1-based, e.g. 2/4), split by a hash of each file''s path: N jobs cover them once')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write a report of every Dockerfile found to FILE')
            [CompletionResult]::new('--report-format', '--report-format', [CompletionResultType]::ParameterName, 'Format of --report')
            [CompletionResult]::new('--pr-body', '--pr-body', [CompletionResultType]::ParameterName, 'Write a markdown pull-request body to FILE: the files migrated, their final bases, the estimated saving, what was left and why. (Keep it outside the repository, or the fleet tool commits it.)')
            [CompletionResult]::new('--only-failed', '--only-failed', [CompletionResultType]::ParameterName, 'Run again only the files a previous JSON report says failed')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Settings for every repository, instead of each one''s msb.toml')
            [CompletionResult]::new('--branch', '--branch', [CompletionResultType]::ParameterName, 'The branch --git-commit creates')
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'The container engine''s CLI (podman where its CLI is docker''s)')
            [CompletionResult]::new('--smoke', '--smoke', [CompletionResultType]::ParameterName, 'Start both containers with these arguments after the image name (they replace CMD), e.g. --smoke "--port 9000" (default: the image''s own command)')
            [CompletionResult]::new('--smoke-seconds', '--smoke-seconds', [CompletionResultType]::ParameterName, 'How long both containers run before they are compared')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'A build argument for both builds; repeatable')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'An environment variable for both containers of the smoke run (an app that needs its platform''s settings, PORT on Cloud Run); repeatable')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'A file of KEY=VALUE lines for both containers of the smoke run, as `docker run --env-file` reads it; repeatable')
            [CompletionResult]::new('--build-with', '--build-with', [CompletionResultType]::ParameterName, 'How to build: BuildKit when `docker buildx version` works (auto), else the classic builder')
            [CompletionResult]::new('--builder', '--builder', [CompletionResultType]::ParameterName, 'Build with this buildx builder instance (`docker buildx build --builder NAME --load`): a remote or Kubernetes BuildKit, say. The images are loaded into the local engine, which runs them. Checked with `docker buildx inspect NAME` before any build')
            [CompletionResult]::new('--diff', '--diff', [CompletionResultType]::ParameterName, 'Print a unified diff on stdout (the default)')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Rewrite the files in place, atomically')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Exit 1 if any file would change (may be combined with --diff)')
            [CompletionResult]::new('--stdout', '--stdout', [CompletionResultType]::ParameterName, 'Print the migrated Dockerfile of one file (the original if skipped)')
            [CompletionResult]::new('--unsafe', '--unsafe', [CompletionResultType]::ParameterName, 'Also apply unsafe decisions')
            [CompletionResult]::new('--no-ignore', '--no-ignore', [CompletionResultType]::ParameterName, 'Also search what .gitignore and similar files hide')
            [CompletionResult]::new('--git-commit', '--git-commit', [CompletionResultType]::ParameterName, 'With --write: commit the migrated Dockerfiles of each repository on a new branch, leaving the checked-out branch and working tree alone')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'With --git-commit: show what would be committed, commit nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every decision of each migrated file, whatever the number of files')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every decision of each migrated file, whatever the number of files')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Build and compare each migration with the local engine (see `msb verify`); with --write, only verified files are written')
            [CompletionResult]::new('--observe', '--observe', [CompletionResultType]::ParameterName, 'For a file msb would skip for a RUN it cannot read (a vendor script, `curl | sh`): build the original with the local Docker engine''s classic builder and take the paths each RUN''s layer holds as what it makes. Uses --build-arg; pulls what the build pulls')
            [CompletionResult]::new('--no-smoke', '--no-smoke', [CompletionResultType]::ParameterName, 'No smoke run (the app needs a database or another service)')
            [CompletionResult]::new('--keep-images', '--keep-images', [CompletionResultType]::ParameterName, 'Keep the images msb built (they are removed by default)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'msb;explain' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'context')
            [CompletionResult]::new('--transforms', '--transforms', [CompletionResultType]::ParameterName, 'transforms')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'A build argument for the --observe build; repeatable')
            [CompletionResult]::new('--unsafe', '--unsafe', [CompletionResultType]::ParameterName, 'unsafe')
            [CompletionResult]::new('--observe', '--observe', [CompletionResultType]::ParameterName, 'Build the original with the local Docker engine''s classic builder when a RUN is one msb cannot read, and take what its layer holds as what it makes (see `msb migrate --observe`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'msb;verify' {
            [CompletionResult]::new('--against', '--against', [CompletionResultType]::ParameterName, 'Compare the original (one PATH) with this Dockerfile instead of msb''s migration: a hand-written one, an earlier msb output')
            [CompletionResult]::new('--engine', '--engine', [CompletionResultType]::ParameterName, 'The container engine''s CLI (podman where its CLI is docker''s)')
            [CompletionResult]::new('--smoke', '--smoke', [CompletionResultType]::ParameterName, 'Start both containers with these arguments after the image name (they replace CMD), e.g. --smoke "--port 9000" (default: the image''s own command)')
            [CompletionResult]::new('--smoke-seconds', '--smoke-seconds', [CompletionResultType]::ParameterName, 'How long both containers run before they are compared')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'A build argument for both builds; repeatable')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'An environment variable for both containers of the smoke run (an app that needs its platform''s settings, PORT on Cloud Run); repeatable')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'A file of KEY=VALUE lines for both containers of the smoke run, as `docker run --env-file` reads it; repeatable')
            [CompletionResult]::new('--build-with', '--build-with', [CompletionResultType]::ParameterName, 'How to build: BuildKit when `docker buildx version` works (auto), else the classic builder')
            [CompletionResult]::new('--builder', '--builder', [CompletionResultType]::ParameterName, 'Build with this buildx builder instance (`docker buildx build --builder NAME --load`): a remote or Kubernetes BuildKit, say. The images are loaded into the local engine, which runs them. Checked with `docker buildx inspect NAME` before any build')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format of stdout')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write a JSON report of every Dockerfile verified to FILE')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The build context, when it is not the Dockerfile''s folder')
            [CompletionResult]::new('--transforms', '--transforms', [CompletionResultType]::ParameterName, 'transforms')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Verify N Dockerfiles at a time. 1 (the default) suits the local engine, where each build already uses the whole machine; more is meant for a remote builder (--builder). Output and report are in path order whatever N is')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Verify N Dockerfiles at a time. 1 (the default) suits the local engine, where each build already uses the whole machine; more is meant for a remote builder (--builder). Output and report are in path order whatever N is')
            [CompletionResult]::new('--no-smoke', '--no-smoke', [CompletionResultType]::ParameterName, 'No smoke run (the app needs a database or another service)')
            [CompletionResult]::new('--keep-images', '--keep-images', [CompletionResultType]::ParameterName, 'Keep the images msb built (they are removed by default)')
            [CompletionResult]::new('--unsafe', '--unsafe', [CompletionResultType]::ParameterName, 'Verify the migration `--unsafe` makes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'msb;report' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'Combine the JSON reports of the shards of one run (`--shard I/N --report FILE`) into one report on stdout, with the totals counted again from the records')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msb;report;merge' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'json: the --report format; markdown: the table of --report-format markdown')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'msb;report;help' {
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'Combine the JSON reports of the shards of one run (`--shard I/N --report FILE`) into one report on stdout, with the totals counted again from the records')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msb;report;help;merge' {
            break
        }
        'msb;report;help;help' {
            break
        }
        'msb;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'msb;man' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Write msb.1 and one page per subcommand (msb-migrate.1...) into DIR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'msb;help' {
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Migrate Dockerfiles (default: show a unified diff)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Show what msb infers about a Dockerfile, instruction by instruction')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Build the original and the migrated Dockerfile with the local engine and compare the images: config, non-root user, a smoke run, sizes')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Work with the reports of `--report FILE`')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the shell completion script for SHELL on stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print msb''s man page (roff) on stdout, or write every page to a folder')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'msb;help;migrate' {
            break
        }
        'msb;help;explain' {
            break
        }
        'msb;help;verify' {
            break
        }
        'msb;help;report' {
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'Combine the JSON reports of the shards of one run (`--shard I/N --report FILE`) into one report on stdout, with the totals counted again from the records')
            break
        }
        'msb;help;report;merge' {
            break
        }
        'msb;help;completions' {
            break
        }
        'msb;help;man' {
            break
        }
        'msb;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
