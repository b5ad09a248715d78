#!/usr/bin/env bash
# Turns the release folders under deploy/ledger/releases/ into a bare git repository: the ledger
# platform's "upstream" repository that Upshift clones, fetches and checks out.
#
#   deploy/ledger/make-repo.sh [--force] [TARGET]
#
#   TARGET    bare repository to create or update
#             (default: $UPSHIFT_LEDGER_REPO, else /var/lib/upshift/ledger/platform.git)
#   --force   allow moving tags/branches that already exist with other content
#             (needed only after a release folder was edited; it rewrites published history)
#
# releases/releases.tsv lists the releases in commit order. Each one becomes one commit whose tree is
# exactly its folder (files ignored by the folder's .gitignore excluded), with the previous release of its
# branch as parent, and one annotated tag v<release> (v1.0.0, ...). main is linear (v1.0.0, v1.1.0,
# v1.2.0); the faulty releases sit on side branches fault/* off v1.1.0 and are tagged as well.
# Unlike the demo's, the tags carry no upshift.yaml: the descriptors are kept outside the repository
# (deploy/ledger/descriptors/<release>/upshift.yaml); a release folder holding one is refused.
# Author, committer, tagger and dates are fixed, and no user or system git configuration is read, so
# the same sources always give the same commit and tag ids. Re-running on an up-to-date repository
# changes nothing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RELEASES_DIR="$HERE/releases"
MANIFEST="$RELEASES_DIR/releases.tsv"
NAME="Upshift Ledger"
EMAIL="ledger@upshift.invalid"

log() { printf '[make-repo] %s\n' "$*" >&2; }
die() { printf '[make-repo] ERROR: %s\n' "$*" >&2; exit 1; }

FORCE=0
TARGET=""
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option: $arg (see --help)" ;;
    *) [ -z "$TARGET" ] || die "only one TARGET may be given"; TARGET="$arg" ;;
  esac
done
TARGET="${TARGET:-${UPSHIFT_LEDGER_REPO:-/var/lib/upshift/ledger/platform.git}}"

T0="$(date +%s%N)"
if ! command -v git >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "git is not installed (apt-get install -y git)"
  log "installing git (apt-get)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q git >/dev/null
fi
[ -f "$MANIFEST" ] || die "release manifest $MANIFEST not found"

# Reproducibility: no system/global configuration (signing, autocrlf, excludes, hooks, ...).
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES 2>/dev/null || true
export GIT_AUTHOR_NAME="$NAME" GIT_AUTHOR_EMAIL="$EMAIL" GIT_COMMITTER_NAME="$NAME" GIT_COMMITTER_EMAIL="$EMAIL"
export TZ=UTC LC_ALL=C

mkdir -p "$(dirname "$TARGET")"
exec 9>"$TARGET.lock"
flock -w 120 9 || die "another make-repo.sh is updating $TARGET"
# Checked under the lock: another run may be creating it right now.
if [ -e "$TARGET" ] && [ ! -f "$TARGET/HEAD" ]; then
  die "$TARGET exists but is not a bare git repository"
fi
if [ ! -f "$TARGET/HEAD" ]; then
  log "creating bare repository $TARGET"
  git init -q --bare "$TARGET"
fi
g() { git --git-dir="$TARGET" "$@"; }
g symbolic-ref HEAD refs/heads/main

IDX="$(mktemp)"
trap 'rm -f "$IDX"' EXIT

# set_ref REF NEW WHAT: creates or moves REF; moving needs --force unless it is a fast-forward of a branch.
CHANGED=0
set_ref() {
  local ref="$1" new="$2" what="$3" old
  old="$(g rev-parse -q --verify "$ref" 2>/dev/null || true)"
  if [ "$old" = "$new" ]; then
    return 0
  fi
  if [ -n "$old" ] && [ "$FORCE" != 1 ]; then
    if [[ "$ref" == refs/heads/* ]] && g merge-base --is-ancestor "$old" "$new" 2>/dev/null; then
      :   # fast-forward: a release was added on top
    else
      die "$what already exists in $TARGET with other content (release sources changed?). Re-run with --force to rewrite it, or use another TARGET."
    fi
  fi
  g update-ref "$ref" "$new"
  CHANGED=$((CHANGED + 1))
  log "$what -> ${new:0:12}${old:+ (was ${old:0:12})}"
}

declare -A COMMIT_OF=()
declare -A TIP_OF=()
BRANCH_ORDER=()
while read -r release branch parent date _; do
  case "$release" in ''|'#'*) continue ;; esac
  [ -n "$date" ] || die "releases.tsv: malformed line for $release"
  [[ "$release" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?$ ]] || die "releases.tsv: bad release name '$release'"
  [[ "$branch" =~ ^[a-z0-9][a-z0-9/._-]*$ ]] || die "releases.tsv: bad branch name '$branch'"
  tag="v$release"
  src="$RELEASES_DIR/$release"
  [ -f "$src/docker-compose.yml" ] && [ -f "$src/RELEASE_NOTES.md" ] && [ -f "$src/.env.example" ] \
    || die "release folder $src is incomplete"
  [ ! -e "$src/upshift.yaml" ] || die "$src/upshift.yaml: the ledger's descriptors live in deploy/ledger/descriptors/, not in the tags"
  epoch="$(date -u -d "$date" +%s)" || die "releases.tsv: bad date '$date' for $tag"
  parent_args=()
  if [ "$parent" != "-" ]; then
    [ -n "${COMMIT_OF[v$parent]:-}" ] || die "releases.tsv: parent $parent of $release must come earlier"
    parent_args=(-p "${COMMIT_OF[v$parent]}")
  fi

  # Tree of the release folder, through a throw-away index (the folder's .gitignore applies).
  rm -f "$IDX"
  GIT_INDEX_FILE="$IDX" git --git-dir="$TARGET" --work-tree="$src" add -A .
  tree="$(GIT_INDEX_FILE="$IDX" g write-tree)"
  msg="$(printf 'upshift-ledger %s\n\n' "$tag"; cat "$src/RELEASE_NOTES.md" 2>/dev/null || true)"
  commit="$(GIT_AUTHOR_DATE="@$epoch +0000" GIT_COMMITTER_DATE="@$epoch +0000" \
            g commit-tree "$tree" "${parent_args[@]}" -m "$msg")"
  COMMIT_OF[$tag]="$commit"
  tagobj="$(printf 'object %s\ntype commit\ntag %s\ntagger %s <%s> %s +0000\n\nupshift-ledger %s\n' \
            "$commit" "$tag" "$NAME" "$EMAIL" "$epoch" "$tag" | g mktag)"
  set_ref "refs/tags/$tag" "$tagobj" "tag $tag"
  [ -n "${TIP_OF[$branch]:-}" ] || BRANCH_ORDER+=("$branch")
  TIP_OF[$branch]="$commit"
  printf '  %-22s %s  %s\n' "$tag" "${commit:0:12}" "$branch"
done <"$MANIFEST"
[ ${#COMMIT_OF[@]} -gt 0 ] || die "releases.tsv lists no release"
[ -n "${TIP_OF[main]:-}" ] || die "releases.tsv has no release on branch main"

for branch in "${BRANCH_ORDER[@]}"; do
  set_ref "refs/heads/$branch" "${TIP_OF[$branch]}" "branch $branch"
done

T1="$(date +%s%N)"
if [ "$CHANGED" = 0 ]; then
  log "$TARGET is up to date ($(( (T1 - T0) / 1000000 )) ms)"
else
  log "$TARGET: $CHANGED ref(s) written ($(( (T1 - T0) / 1000000 )) ms)"
fi
