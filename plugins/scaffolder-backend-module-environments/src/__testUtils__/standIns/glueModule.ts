/**
 * The stand-in for `dagger call -m github.com/SolomonHD/unifi-cloudflare-glue@<version> ...` that
 * every test running a kit uses: the contract of unifi-cloudflare-glue v0.12.2 (tag v0.12.2,
 * commit c9a6bbc) and of the dagger CLI, as far as the kits touch it, in one place. Each fact
 * below names where it was read; `src/main/main.py` means that file at the tag. The program is
 * bash (it runs as `dagger` on PATH); stubs.ts adds the call recording around it.
 *
 * Facts, in the order the program applies them:
 *  1. dagger CLI: `dagger call -m MODULE FUNCTION --flag=value ...`; an unknown function or flag
 *     is refused before the module runs ("unknown command" / "unknown flag", exit 1), and so is a
 *     missing required argument ("required flag(s) ... not set"). Functions are the module's
 *     methods in kebab case; flags are their parameters in kebab case (main.py signatures):
 *       deploy, plan, destroy: kcl_source (Directory, required), unifi_url, cloudflare_token
 *         (Secret), cloudflare_account_id, zone_name, api_url, unifi_api_key, unifi_username,
 *         unifi_password (Secrets), unifi_insecure, unifi_only, cloudflare_only (bools),
 *         terraform_version, kcl_version (default "latest"), backend_type (default "local"),
 *         backend_config_file (File), state_dir (Directory), cache_buster.
 *       get_tunnel_secrets: source (Directory), cloudflare_token (Secret), cloudflare_account_id,
 *         zone_name (all four required), terraform_version, backend_type, backend_config_file,
 *         state_dir, output_format, cache_buster. It has no kcl_version and no UniFi arguments.
 *  2. dagger CLI: a Secret argument is a provider reference; the kits use `env:NAME`, and dagger
 *     refuses the call when NAME is not in its environment. A Directory or File argument must
 *     exist on the host; dagger uploads a snapshot of it.
 *  3. main.py deploy/destroy: argument checks return "✗ Failed: ..." (full deployment needs the
 *     UniFi key or username+password, not both, the URL, the token, the account and the zone).
 *     --unifi-only and --cloudflare-only together are refused ("Cannot use both"); a UniFi-only
 *     run checks only the UniFi arguments and generates only the UniFi config, a Cloudflare-only
 *     run only the Cloudflare ones (main.py lines 518-557 of deploy, 1009-1045 of plan, 1367-1400
 *     of destroy: "UniFi-only deployment|planning|destruction requires ..."). They run other
 *     Terraform roots (unifi-dns, cloudflare-tunnel instead of glue), so their state holds only
 *     their side: a UniFi-only state has no tunnel_ids output.
 *     deploy and destroy RETURN every failure as text starting with "✗ Failed" and `dagger call`
 *     prints it and exits 0. plan raises instead (ValueError/RuntimeError: dagger exits 1), and
 *     returns a Directory (plan.tfplan, plan.json, plan.txt, plan-summary.txt) for `export`.
 *  4. main.py generate_unifi_config/generate_cloudflare_config: the kcl_source directory must
 *     hold kcl.mod ("✗ No kcl.mod found in source directory") and main.k; main.k must export
 *     unifi_output and cf_output (extracted with yq). KCL runs in kcllang/kcl:<kcl_version>.
 *  5. schemas/cloudflare.k TunnelService check: is_valid_domain strips only "http://" and
 *     "https://" before looking for a dotted host, so any other origin scheme (tcp://) fails
 *     the KCL check, and deploy returns "✗ Failed: Could not generate Cloudflare config".
 *  6. main.py _validate_backend_config / _validate_state_storage_config: a backend_type other
 *     than local needs backend_config_file; a config file with backend_type local is refused;
 *     state_dir with a remote backend_type is refused ("✗ Failed: Cannot use both --state-dir
 *     and --backend-type").
 *  7. main.py: Terraform runs in hashicorp/terraform:<terraform_version>. The container gets
 *     only TF_VAR_* variables, CLOUDFLARE_API_TOKEN and CACHE_BUSTER: no AWS_* variable of the
 *     host ever arrives (the word AWS does not occur in main.py). So the S3 backend has no
 *     credentials unless access_key and secret_key are in the backend config file (YAML,
 *     converted to HCL by src/main/backend_config.py), and `terraform init` fails with
 *     "No valid credential sources found", returned as "✗ Failed: Terraform init failed".
 *  8. main.py: with backend_type local and no state_dir the state lives in the container and is
 *     gone after the call (ephemeral): destroy then finds nothing to destroy and still reports
 *     success, and get_tunnel_secrets finds no tunnel_ids output ("✗ Failed: Could not retrieve
 *     tunnel_ids output"). state_dir is a Directory argument: a snapshot of the host folder
 *     mounted with with_directory("/state", state_dir); the function returns a string, and a
 *     Directory reaches the host only through an explicit export (docs.dagger.io/api/filters:
 *     functions see only the host paths passed as arguments; docs.dagger.io/manuals/user/export),
 *     so nothing Terraform writes there comes back.
 *  9. main.py get_tunnel_secrets: with a remote backend it runs `terraform init` against the
 *     same backend and reads the tunnel_ids and tunnel_tokens outputs that deploy stored, keyed
 *     by MAC address; it prints the token for `cloudflared service install <token>`.
 *
 * Remote state is kept in `<control>/s3/<bucket>/<key>` (the tunnel MACs deploy created), so a
 * deploy, a get-tunnel-secrets and a destroy against the same backend see each other.
 * Test controls (environment variable or control file): STUB_GLUE_FAIL=apply makes Terraform
 * apply/destroy/plan/output fail the way main.py reports it; STUB_DAGGER_EXIT=N makes the
 * dagger CLI itself fail (engine error); STUB_DAGGER_SLEEP=N sleeps before answering.
 */

/** The dagger functions of unifi-cloudflare-glue v0.12.2 the kits call, and their flags. */
export const GLUE_FUNCTIONS = {
  deploy: [
    'kcl-source',
    'unifi-url',
    'cloudflare-token',
    'cloudflare-account-id',
    'zone-name',
    'api-url',
    'unifi-api-key',
    'unifi-username',
    'unifi-password',
    'unifi-insecure',
    'unifi-only',
    'cloudflare-only',
    'terraform-version',
    'kcl-version',
    'backend-type',
    'backend-config-file',
    'state-dir',
    'cache-buster',
  ],
  'get-tunnel-secrets': [
    'source',
    'cloudflare-token',
    'cloudflare-account-id',
    'zone-name',
    'terraform-version',
    'backend-type',
    'backend-config-file',
    'state-dir',
    'output-format',
    'cache-buster',
  ],
} as const;

/** The fake token get-tunnel-secrets prints for a tunnel (by MAC address). */
export function fakeTunnelToken(mac: string): string {
  return `fake-tunnel-token-${mac.replace(/:/g, '')}`;
}

/**
 * The body of the stub `dagger` (after stubs.ts's header: `log`, `control`, the JSON helpers).
 * It decides the outcome, then calls `record_call OUTCOME MESSAGE` (defined by stubs.ts), then
 * prints and exits like the real module would.
 */
export const GLUE_MODULE_PROGRAM = String.raw`
# Not exported: an emptied environment (vals exec without -i) must stay visible in the record.
PATH=${'$'}{PATH:-/usr/local/bin:/usr/bin:/bin}
DEPLOY_FLAGS=' ${GLUE_FUNCTIONS.deploy.join(' ')} '
TUNNEL_FLAGS=' ${GLUE_FUNCTIONS['get-tunnel-secrets'].join(' ')} '
BOOL_FLAGS=' unifi-insecure unifi-only cloudflare-only '
SECRET_FLAGS=' cloudflare-token unifi-api-key unifi-username unifi-password '

declare -A flag=()
fn='' module='' export_path='' cli_error='' outcome='' text=''
args=("$@")

# 1. The dagger CLI: call, -m MODULE, a function, its flags, an optional "export --path=".
parse() {
  local i=0 n=${'$'}{#args[@]} arg name known
  [[ ${'$'}{args[0]:-} == call ]] || { cli_error="unknown command \"${'$'}{args[0]:-}\" (the stub knows only dagger call)"; return; }
  i=1
  while ((i < n)); do
    arg=${'$'}{args[i]}
    case $arg in
      -m | --mod) module=${'$'}{args[i + 1]:-}; i=$((i + 2)); continue ;;
      -m=* | --mod=*) module=${'$'}{arg#*=}; i=$((i + 1)); continue ;;
    esac
    if [[ -z $fn ]]; then
      case $arg in
        deploy | plan | destroy | get-tunnel-secrets) fn=$arg ;;
        *) cli_error="unknown command \"$arg\" for \"dagger call\""; return ;;
      esac
      i=$((i + 1))
      continue
    fi
    if [[ $arg == export ]]; then
      [[ $fn == plan ]] || { cli_error="unknown command \"export\": $fn returns a String"; return; }
      [[ ${'$'}{args[i + 1]:-} == --path=* ]] || { cli_error='export needs --path'; return; }
      export_path=${'$'}{args[i + 1]#--path=}
      i=$((i + 2))
      ((i == n)) || { cli_error="unexpected argument ${'$'}{args[i]} after export"; return; }
      return
    fi
    [[ $arg == --* ]] || { cli_error="unexpected argument \"$arg\""; return; }
    name=${'$'}{arg#--}
    name=${'$'}{name%%=*}
    if [[ $fn == get-tunnel-secrets ]]; then known=$TUNNEL_FLAGS; else known=$DEPLOY_FLAGS; fi
    [[ $known == *" $name "* ]] || { cli_error="unknown flag: --$name"; return; }
    if [[ $arg == *=* ]]; then
      flag[$name]=${'$'}{arg#*=}
    elif [[ $BOOL_FLAGS == *" $name "* ]]; then
      flag[$name]=true
    else
      flag[$name]=${'$'}{args[i + 1]:-}
      i=$((i + 1))
    fi
    i=$((i + 1))
  done
  [[ -n $module ]] || { cli_error='dagger call needs -m <module> outside a module directory'; return; }
  [[ -n $fn ]] || { cli_error='dagger call needs a function'; return; }
}

# 2. Arguments as dagger resolves them before the module runs.
resolve_arguments() {
  local required name value
  if [[ $fn == get-tunnel-secrets ]]; then required='source cloudflare-token cloudflare-account-id zone-name'; else required='kcl-source'; fi
  for name in $required; do
    [[ -n ${'$'}{flag[$name]+x} ]] || { cli_error="required flag(s) \"$name\" not set"; return; }
  done
  for name in "${'$'}{!flag[@]}"; do
    value=${'$'}{flag[$name]}
    if [[ $SECRET_FLAGS == *" $name "* ]]; then
      [[ $value == env:* ]] || { cli_error="--$name: the kits pass secrets as env:NAME only, got another provider or a plain value"; return; }
      value=${'$'}{value#env:}
      [[ -n ${'$'}{!value+x} ]] || { cli_error="failed to load secret for --$name: environment variable \"$value\" not found"; return; }
    fi
    case $name in
      kcl-source | source | state-dir) [[ -d $value ]] || { cli_error="--$name: no such directory: $value"; return; } ;;
      backend-config-file) [[ -f $value ]] || { cli_error="--$name: no such file: $value"; return; } ;;
    esac
  done
}

# A value of the flat YAML backend config (the kits write key: value lines; comments skipped).
config_value() {
  local file=$1 key=$2 line value
  REPLY=''
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*# ]] && continue
    if [[ $line =~ ^$key:[[:space:]]*(.*)$ ]]; then
      value=${'$'}{BASH_REMATCH[1]}
      value=${'$'}{value%%[[:space:]]#*}
      if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${'$'}{BASH_REMATCH[1]}; fi
      REPLY=$value
    fi
  done < "$file"
}

# 4 and 5: what the KCL step would say about kcl_source, or nothing.
kcl_failure() {
  local dir=${'$'}{flag[kcl-source]} only=${'$'}{1:-all} url
  if [[ ! -f $dir/kcl.mod ]]; then
    REPLY=$'✗ No kcl.mod found in source directory. Is this a valid KCL module?\nHint: Run \'kcl mod init\' in your KCL directory to create a module.'
    return 0
  fi
  if [[ ! -f $dir/main.k ]]; then REPLY='✗ Entry point file not found: main.k'; return 0; fi
  if ! grep -q '^unifi_output[[:space:]]*=' "$dir/main.k"; then REPLY="✗ main.k does not export 'unifi_output'"; return 0; fi
  if ! grep -q '^cf_output[[:space:]]*=' "$dir/main.k"; then REPLY="✗ main.k does not export 'cf_output'"; return 0; fi
  # A UniFi-only run generates no Cloudflare config, so the tunnel origins are not checked.
  [[ $only == unifi ]] && return 1
  while IFS= read -r url; do
    url=${'$'}{url#*\"}
    url=${'$'}{url%\"*}
    if [[ $url != http://* && $url != https://* ]]; then
      REPLY="✗ KCL execution failed: TunnelService check failed: local_service_url has invalid domain syntax ($url)"
      return 0
    fi
  done < <(grep -E '^[[:space:]]*local_service_url[[:space:]]*=' "$dir/main.k")
  return 1
}

# The tunnel MACs main.k declares (the tunnels dict of CloudflareConfig, keyed by MAC).
tunnel_macs() {
  grep -oE '^[[:space:]]*"[0-9a-f:]{17}"[[:space:]]*:[[:space:]]*[A-Za-z_]+\.CloudflareTunnel' "${'$'}{flag[kcl-source]}/main.k" | grep -oE '[0-9a-f:]{17}' || true
}

# 6 and 7: the backend checks and terraform init. Sets state_file ('' = ephemeral).
state_file=''
backend_failure() {
  local type=${'$'}{flag[backend-type]:-local} file=${'$'}{flag[backend-config-file]:-} bucket key
  if [[ $type != local && -z $file ]]; then REPLY="✗ Failed: Backend type '$type' requires --backend-config-file"; return 0; fi
  if [[ $type == local && -n $file ]]; then REPLY="✗ Failed: --backend-config-file specified but backend_type is 'local'"; return 0; fi
  if [[ $type != local && -n ${'$'}{flag[state-dir]+x} ]]; then
    REPLY='✗ Failed: Cannot use both --state-dir and --backend-type (remote backend).'
    return 0
  fi
  if [[ $type == s3 ]]; then
    config_value "$file" bucket; bucket=$REPLY
    config_value "$file" key; key=$REPLY
    config_value "$file" access_key; local access=$REPLY
    config_value "$file" secret_key; local secret=$REPLY
    if [[ -z $bucket || -z $key ]]; then
      REPLY=$'✗ Failed: Terraform init failed\nError: The "bucket" and "key" attributes are required by the S3 backend'
      return 0
    fi
    if [[ -z $access || -z $secret ]]; then
      REPLY=$'✗ Failed: Terraform init failed\nError: No valid credential sources found\n(the module passes no AWS_* variable into its Terraform container: access_key and secret_key must be in the backend config file)'
      return 0
    fi
    state_file="$control/s3/$bucket/$key"
  elif [[ $type != local ]]; then
    REPLY="✗ Failed: Terraform init failed (the stand-in knows only the s3 and local backends, not $type)"
    return 0
  elif [[ -n ${'$'}{flag[state-dir]+x} ]]; then
    # A read-only snapshot: read what the host folder holds, never write it back.
    snapshot_state="${'$'}{flag[state-dir]}/.stub-tfstate"
  fi
  return 1
}
snapshot_state=''

control_value STUB_GLUE_FAIL ''
simulated_failure=$REPLY

decide() {
  parse
  [[ -z $cli_error ]] && resolve_arguments
  if [[ -n $cli_error ]]; then outcome=refused; text="Error: $cli_error"; return; fi
  local scope='Both UniFi DNS and Cloudflare Tunnel'
  if [[ $fn == get-tunnel-secrets ]]; then
    local format=${'$'}{flag[output-format]:-human}
    if [[ $format != human && $format != json ]]; then outcome=failed; text="✗ Failed: Invalid output format. Must be 'human' or 'json'"; return; fi
    if backend_failure; then outcome=failed; text=$REPLY; return; fi
    local source_state=${'$'}{state_file:-$snapshot_state}
    if [[ -n $simulated_failure || -z $source_state || ! -f $source_state ]]; then
      outcome=failed
      text=$'✗ Failed: Could not retrieve tunnel_ids output\nError: Output "tunnel_ids" not found\nAvailable outputs: none'
      return
    fi
    local macs mac root
    root=$(head -n 1 "$source_state")
    if [[ $root == 'root: unifi-dns' ]]; then
      outcome=failed
      text=$'✗ Failed: Could not retrieve tunnel_ids output\nError: Output "tunnel_ids" not found\nAvailable outputs: none'
      return
    fi
    macs=$(tail -n +2 "$source_state")
    if [[ -z $macs ]]; then outcome=failed; text='✗ Failed: No tunnels found in Terraform outputs. State may be corrupted.'; return; fi
    outcome=ok
    text=$'============================================================\nCLOUDFLARE TUNNEL SECRETS\n============================================================\n'
    for mac in $macs; do text+=$'\nMAC Address: '"$mac"$'\nToken: fake-tunnel-token-'"${'$'}{mac//:/}"$'\n'; done
    return
  fi

  # 3. Argument checks of deploy, plan and destroy, by scope (--unifi-only, --cloudflare-only).
  local only=all
  if [[ -n ${'$'}{flag[unifi-only]+x} && -n ${'$'}{flag[cloudflare-only]+x} ]]; then
    outcome=failed; text='✗ Failed: Cannot use both --unifi-only and --cloudflare-only'; return
  fi
  [[ -n ${'$'}{flag[unifi-only]+x} ]] && only=unifi
  [[ -n ${'$'}{flag[cloudflare-only]+x} ]] && only=cloudflare
  local noun=deployment
  case $fn in plan) noun=planning ;; destroy) noun=destruction ;; esac
  local who=Full
  case $only in unifi) who=UniFi-only ;; cloudflare) who=Cloudflare-only ;; esac
  local missing=''
  local key=${'$'}{flag[unifi-api-key]+x} user=${'$'}{flag[unifi-username]+x} pass=${'$'}{flag[unifi-password]+x}
  if [[ $only != cloudflare ]]; then
    if [[ -z $key && ( -z $user || -z $pass ) ]]; then missing='either --unifi-api-key OR both --unifi-username and --unifi-password'
    elif [[ -n $key && -n $user && -n $pass ]]; then outcome=failed; text='✗ Failed: Cannot use both API key and username/password. Choose one authentication method.'; return
    elif [[ -z ${'$'}{flag[unifi-url]:-} ]]; then missing='--unifi-url'
    fi
  fi
  if [[ -z $missing && $only != unifi ]]; then
    if [[ -z ${'$'}{flag[cloudflare-token]+x} ]]; then missing='--cloudflare-token'
    elif [[ -z ${'$'}{flag[cloudflare-account-id]:-} ]]; then missing='--cloudflare-account-id'
    elif [[ -z ${'$'}{flag[zone-name]:-} ]]; then missing='--zone-name'
    fi
  fi
  if [[ -n $missing ]]; then outcome=failed; text="✗ Failed: $who $noun requires $missing"; return; fi
  if kcl_failure "$only"; then
    outcome=failed
    if [[ $REPLY == *local_service_url* ]]; then text=$'✗ Failed: Could not generate Cloudflare config\n'"$REPLY"; else text=$'✗ Failed: Could not generate UniFi config\n'"$REPLY"; fi
    return
  fi
  if backend_failure; then outcome=failed; text=$REPLY; return; fi
  if [[ -n $simulated_failure ]]; then
    outcome=failed
    case $fn in
      deploy) text=$'✗ Failed: Terraform apply failed\nExit code: 1\nStderr:\nError: simulated apply failure (STUB_GLUE_FAIL)' ;;
      destroy) text=$'✗ Failed: Terraform destroy failed\nExit code: 1\nStderr:\nError: simulated destroy failure (STUB_GLUE_FAIL)' ;;
      plan) text=$'✗ Failed: Terraform plan failed\nError: simulated plan failure (STUB_GLUE_FAIL)' ;;
    esac
    return
  fi
  outcome=ok
  case $fn in
    deploy)
      # The state records which Terraform root wrote it; a UniFi-only root creates no tunnels.
      if [[ -n $state_file ]]; then
        mkdir -p "${'$'}{state_file%/*}"
        case $only in
          unifi) printf 'root: unifi-dns\n' > "$state_file" ;;
          cloudflare) { printf 'root: cloudflare-tunnel\n'; tunnel_macs; } > "$state_file" ;;
          *) { printf 'root: glue\n'; tunnel_macs; } > "$state_file" ;;
        esac
      fi
      case $only in
        unifi) text=$'============================================================\nPHASE 1: Generating KCL configurations\n============================================================\n✓ UniFi configuration generated\n○ Cloudflare configuration skipped (--unifi-only)\n✓ Terraform init completed\n✓ Terraform apply completed\n\n✓ UniFi DNS deployment completed successfully' ;;
        cloudflare) text=$'============================================================\nPHASE 1: Generating KCL configurations\n============================================================\n○ UniFi configuration skipped (--cloudflare-only)\n✓ Cloudflare configuration generated\n✓ Terraform init completed\n✓ Terraform apply completed\n\n✓ Cloudflare Tunnel deployment completed successfully\n\nNext Step: Retrieve Tunnel Credentials\n  dagger call get-tunnel-secrets ...\n  cloudflared service install <tunnel-token-from-option-1>' ;;
        *) text=$'============================================================\nPHASE 1: Generating KCL configurations\n============================================================\n✓ UniFi configuration generated\n✓ Cloudflare configuration generated\n✓ Terraform init completed\n✓ Terraform apply completed\n\n✓ '"$scope"$' deployments completed successfully\n\nNext Step: Retrieve Tunnel Credentials\n  dagger call get-tunnel-secrets ...\n  cloudflared service install <tunnel-token-from-option-1>' ;;
      esac
      ;;
    destroy)
      if [[ -n $state_file ]]; then rm -f "$state_file"; fi
      text=$'============================================================\nPHASE 1: Generating KCL configurations\n============================================================\n✓ Terraform init completed\n✓ Terraform destroy completed\n\n✓ UniFi DNS and Cloudflare Tunnel resources destroyed successfully\n\n⚠ NOTE: If using local state, manually clean up Terraform state files'
      ;;
    plan) text=$export_path ;;
  esac
}
decide
`;

/** What the stub prints and how it exits, after recording the call (appended to the program). */
export const GLUE_MODULE_EPILOGUE = String.raw`
control_value STUB_DAGGER_SLEEP 0
if ((REPLY > 0)); then
  : > "$control/dagger-sleeping"
  sleep "$REPLY"
fi
control_value STUB_DAGGER_EXIT 0
if ((REPLY != 0)); then
  echo "Error: dagger engine failure (simulated with STUB_DAGGER_EXIT=$REPLY)" >&2
  exit "$REPLY"
fi
case $outcome in
  refused) printf '%s\n' "$text" >&2; exit 1 ;;
  failed)
    if [[ $fn == plan ]]; then printf 'Error: %s\n' "$text" >&2; exit 1; fi
    printf '%s\n' "$text"
    exit 0
    ;;
esac
if [[ $fn == plan ]]; then
  if [[ -n $export_path ]]; then
    mkdir -p "$export_path"
    for f in plan.tfplan plan.json plan.txt plan-summary.txt; do printf 'stub %s\n' "$f" > "$export_path/$f"; done
  fi
  printf '%s\n' "$export_path"
  exit 0
fi
printf '%s\n' "$text"
exit 0
`;
