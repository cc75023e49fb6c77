#!/bin/sh
# The command line's contract: --help everywhere, --version, exit codes,
# and the logging options.
# Usage: cli_commands.sh CHURNWATCH SOURCE_DIR
set -u
bin=$1
src=$2
pass=0
fail=0

# expect NAME WANTED_EXIT GREP_PATTERN STREAM -- ARGS...
expect() {
        name=$1 want=$2 pattern=$3 stream=$4
        shift 5
        "$bin" "$@" >/tmp/cw_cli_out.$$ 2>/tmp/cw_cli_err.$$
        rc=$?
        if [ "$stream" = out ]; then file=/tmp/cw_cli_out.$$; else file=/tmp/cw_cli_err.$$; fi
        if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" "$file"; then
                pass=$((pass + 1))
        else
                echo "FAIL $name: exit $rc (wanted $want), $stream:"
                cat "$file"
                fail=$((fail + 1))
        fi
}

expect version 0 '^churnwatch [0-9]+\.[0-9]+\.[0-9]+$' out -- --version
expect help 0 'Commands:' out -- --help
expect help_lists_check_config 0 'check-config' out -- --help
expect no_command 2 'Usage: churnwatch' err --
expect unknown_command 2 "unknown command 'frobnicate'" err -- frobnicate
expect unknown_global_option 2 "unknown option '--bogus'" err -- --bogus check-config
expect check_config_help 0 'Usage: churnwatch check-config -c FILE' out -- check-config --help
expect check_config_without_file 2 'Usage: churnwatch check-config' err -- check-config
expect check_config_bad_option 2 'Usage: churnwatch check-config' err -- check-config -c x --nope
expect check_config_ok 0 ': OK: 7 features \(1 expression\), 1 rule, 1 model; streams: purchase, ticket, survey; largest window 90d' out -- check-config -c "$src/tests/data/configs/good/contract.cfg"
expect check_config_missing_file 1 'nope.cfg: cannot read the file: No such file or directory' err -- check-config -c "$src/nope.cfg"
expect bad_log_level 2 "--log-level 'loud'" err -- --log-level loud check-config -c "$src/tests/data/configs/good/contract.cfg"
expect bad_log_format 2 "--log-format 'xml'" err -- check-config --log-format xml -c "$src/tests/data/configs/good/contract.cfg"
expect log_options_after_command 0 ': OK: ' out -- check-config --log-level debug --log-format json -c "$src/tests/data/configs/good/contract.cfg"
expect log_options_before_command 0 ': OK: ' out -- --log-level warn --log-format text check-config -c "$src/tests/data/configs/good/contract.cfg"
expect help_lists_train 0 '  train  ' out -- --help
expect train_help 0 'Usage: churnwatch train --features TRAIN.csv --model NAME' out -- train --help
expect train_without_features 2 '--features TRAIN.csv is required' err -- train --model m --fire 0.5
expect train_without_model 2 '--model NAME is required' err -- train --features x.csv --fire 0.5
expect train_bad_model 2 'not starting with a digit' err -- train --features x.csv --model 9lives --fire 0.5
expect train_fire_and_target 2 'either --fire P or --target-precision P' err -- train --features x.csv --model m --fire 0.5 --target-precision 0.5
expect train_no_fire 2 'either --fire P or --target-precision P' err -- train --features x.csv --model m
expect train_bad_fire 2 "--fire '1.5': use a number >= 0 and <= 1" err -- train --features x.csv --model m --fire 1.5
expect train_bad_target 2 "--target-precision '0': use a number > 0 and <= 1" err -- train --features x.csv --model m --target-precision 0
expect train_bad_l2 2 "--l2 '0': use a number > 0" err -- train --features x.csv --model m --fire 0.5 --l2 0
expect train_empty_input 2 'an empty name' err -- train --features x.csv --model m --fire 0.5 --inputs a,,b
expect train_missing_file 1 'nope.csv: No such file or directory' err -- train --features "$src/nope.csv" --model m --fire 0.5
expect replay_help_features 0 '--features TRAIN.csv' out -- replay --help

rm -f /tmp/cw_cli_out.$$ /tmp/cw_cli_err.$$
echo "cli_commands: $pass passed, $fail failed"
[ $fail -eq 0 ]
