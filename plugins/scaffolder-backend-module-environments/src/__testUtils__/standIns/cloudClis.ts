/**
 * Stand-ins for the two vendor CLIs the rendered READMEs tell a user to run by hand: `aws`
 * (staging README, "State backend": create the bucket, turn on versioning) and `op` (production
 * SECRETS.md: create the 1Password items). Nothing the kits run calls them; the shell blocks of
 * the Markdown files do, and the hostile-input suite runs those blocks. Like the stand-ins of
 * stubs.ts they are bash scripts first on PATH that record each call as one JSON line (argv, cwd)
 * and then answer as the real tool does for the commands the kits print, failures included.
 *
 * aws, AWS CLI v2 (docs.aws.amazon.com/cli/latest/topic/return-codes.html; the s3api command
 * reference pages of create-bucket and put-bucket-versioning):
 *  1. `aws s3api create-bucket --bucket NAME [--region R] [--create-bucket-configuration
 *     LocationConstraint=R]` and `aws s3api put-bucket-versioning --bucket NAME
 *     --versioning-configuration Status=Enabled|Suspended`. A missing required argument ("the
 *     following arguments are required"), an unknown option ("Unknown options") or another
 *     command is a usage error: exit 252. Options take `--opt value` or `--opt=value`.
 *  2. Credentials come from AWS_ACCESS_KEY_ID plus AWS_SECRET_ACCESS_KEY, or from the profile
 *     (AWS_PROFILE, else `default`) in $HOME/.aws/credentials; with neither the call fails with
 *     "Unable to locate credentials", exit 253 (environment or configuration invalid).
 *  3. On success create-bucket prints `{"Location": "/NAME"}`; put-bucket-versioning prints
 *     nothing. Exit 0. STUB_AWS_EXIT=N makes the service answer with an error (254 in the real
 *     CLI) after the checks above.
 *
 * op, 1Password CLI 2 (developer.1password.com/docs/cli/reference/management-commands/item,
 * /docs/cli/item-create, /docs/cli/item-fields):
 *  1. `op item create [--vault V] [--category C] [--title T] ASSIGNMENT...`, flags as
 *     `--flag value` or `--flag=value`. An unknown flag or command: "[ERROR] unknown flag", exit 1.
 *  2. An assignment is `[section.]field[type]=value`; type is one of password, text, email, url,
 *     date, monthYear, phone, otp (a built-in field has no type). Anything else: exit 1.
 *  3. op signs in with a service account (OP_SERVICE_ACCOUNT_TOKEN) or a Connect server
 *     (OP_CONNECT_HOST and OP_CONNECT_TOKEN); without either it is not signed in: exit 1. A
 *     service account must name the vault (--vault), else exit 1.
 *  4. On success it prints the item's fields and exits 0. STUB_OP_EXIT=N makes it fail (exit 1)
 *     after the checks above.
 */

/** The body of the stub `aws` (after stubs.ts's header: `log`, `control`, the JSON helpers). */
export const AWS_CLI_PROGRAM = String.raw`
json_array "$@"
argv=$REPLY
json_str "$PWD"
printf '{"tool":"aws","argv":%s,"cwd":%s}\n' "$argv" "$REPLY" >> "$log"
usage() { printf 'usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\naws: error: %s\n' "$1" >&2; exit 252; }
[[ ${'$'}{1:-} == s3api ]] || usage "argument command: Invalid choice: ${'$'}{1:-} (the stand-in knows s3api)"
sub=${'$'}{2:-}
case $sub in
  create-bucket) known=' bucket region create-bucket-configuration '; required='bucket' ;;
  put-bucket-versioning) known=' bucket region versioning-configuration '; required='bucket versioning-configuration' ;;
  *) usage "argument operation: Invalid choice: $sub (the stand-in knows create-bucket, put-bucket-versioning)" ;;
esac
shift 2
declare -A opt=()
unknown=()
while (($# > 0)); do
  case $1 in
    --*=*) name=${'$'}{1%%=*}; name=${'$'}{name#--}; value=${'$'}{1#*=}; shift ;;
    --*) name=${'$'}{1#--}; value=${'$'}{2-}; (($# >= 2)) || usage "argument --$name: expected one argument"; shift 2 ;;
    *) unknown+=("$1"); shift; continue ;;
  esac
  if [[ $known == *" $name "* ]]; then opt[$name]=$value; else unknown+=("--$name"); fi
done
((${'$'}{#unknown[@]} == 0)) || { printf '\nUnknown options: %s\n' "$(IFS=,; printf '%s' "${'$'}{unknown[*]}")" >&2; exit 252; }
for name in $required; do
  [[ -n ${'$'}{opt[$name]+x} ]] || usage "the following arguments are required: --$name"
done
if [[ $sub == put-bucket-versioning && ${'$'}{opt[versioning-configuration]} != Status=Enabled && ${'$'}{opt[versioning-configuration]} != Status=Suspended ]]; then
  usage "argument --versioning-configuration: expected Status=Enabled or Status=Suspended"
fi
credentials_file=${'$'}{HOME:-/nonexistent}/.aws/credentials
json_bool test -f "$credentials_file"
if [[ -n ${'$'}{AWS_ACCESS_KEY_ID:-} && -n ${'$'}{AWS_SECRET_ACCESS_KEY:-} ]]; then
  :
elif [[ $REPLY == false ]] || ! grep -qx "\[${'$'}{AWS_PROFILE:-default}\]" "$credentials_file"; then
  printf '\nUnable to locate credentials. You can configure credentials by running "aws configure".\n' >&2
  exit 253
fi
control_value STUB_AWS_EXIT 0
if ((REPLY != 0)); then
  printf '\nAn error occurred (simulated with STUB_AWS_EXIT) when calling the %s operation\n' "$sub" >&2
  exit "$REPLY"
fi
if [[ $sub == create-bucket ]]; then
  json_str "/${'$'}{opt[bucket]}"
  printf '{\n    "Location": %s\n}\n' "$REPLY"
fi
exit 0
`;

/** The body of the stub `op` (after stubs.ts's header). */
export const OP_CLI_PROGRAM = String.raw`
json_array "$@"
argv=$REPLY
json_str "$PWD"
printf '{"tool":"op","argv":%s,"cwd":%s}\n' "$argv" "$REPLY" >> "$log"
fail() { printf '[ERROR] %s %s\n' "$(date '+%Y/%m/%d %H:%M:%S')" "$1" >&2; exit 1; }
[[ ${'$'}{1:-} == item && ${'$'}{2:-} == create ]] || fail "unknown command \"${'$'}{1:-} ${'$'}{2:-}\" (the stand-in knows op item create)"
shift 2
vault='' assignments=()
while (($# > 0)); do
  case $1 in
    --vault=* | --category=* | --title=*) [[ $1 == --vault=* ]] && vault=${'$'}{1#*=}; shift ;;
    --vault | --category | --title)
      (($# >= 2)) || fail "flag needs an argument: $1"
      [[ $1 == --vault ]] && vault=$2
      shift 2
      ;;
    --*) fail "unknown flag: ${'$'}{1%%=*}" ;;
    *) assignments+=("$1"); shift ;;
  esac
done
for a in ${'$'}{assignments[@]+"${'$'}{assignments[@]}"}; do
  [[ $a == *=* ]] || fail "invalid assignment statement \"$a\": expected [<section>.]<field>[<type>]=<value>"
  field=${'$'}{a%%=*}
  if [[ $field =~ \[([A-Za-z]+)\]$ ]]; then
    case ${'$'}{BASH_REMATCH[1]} in
      password | text | email | url | date | monthYear | phone | otp) ;;
      *) fail "invalid field type \"${'$'}{BASH_REMATCH[1]}\" in assignment statement" ;;
    esac
  fi
done
json_bool test -n "${'$'}{OP_CONNECT_HOST:-}"
if [[ -n ${'$'}{OP_SERVICE_ACCOUNT_TOKEN:-} ]]; then
  [[ -n $vault ]] || fail 'a vault must be specified with --vault when using a service account'
elif [[ $REPLY == false || -z ${'$'}{OP_CONNECT_TOKEN:-} ]]; then
  fail 'account is not signed in: set OP_SERVICE_ACCOUNT_TOKEN, or OP_CONNECT_HOST and OP_CONNECT_TOKEN'
fi
control_value STUB_OP_EXIT 0
((REPLY == 0)) || fail "simulated failure (STUB_OP_EXIT=$REPLY)"
printf 'ID:          stand-in\nVault:       %s\nFields:      %d\n' "$vault" "${'$'}{#assignments[@]}"
exit 0
`;
