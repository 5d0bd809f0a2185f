# Sourced by the scripts in bin/: exports JAVA_HOME pointing at a JDK of version 21 or newer.
# Order: an already-set JAVA_HOME if it is recent enough, the `java` on PATH, then any JDK
# under /usr/lib/jvm (newest first). Fails loudly when none is found.
ketch_java_version() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java.specification.version = //p' | head -n 1
}
ketch_find_jdk() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  local d
  for d in $(ls -d /usr/lib/jvm/*/ /opt/java/*/ /usr/local/*jdk*/ 2>/dev/null | sort -rV); do
    candidates+=("${d%/}")
  done
  for d in "${candidates[@]}"; do
    if [ -x "$d/bin/javac" ]; then
      local v
      v=$(ketch_java_version "$d")
      if [ -n "$v" ] && [ "${v%%.*}" -ge 21 ] 2>/dev/null; then
        echo "$d"
        return 0
      fi
    fi
  done
  return 1
}
if ! KETCH_JDK=$(ketch_find_jdk); then
  echo "ketch: no JDK 21 or newer found (looked at JAVA_HOME, PATH and /usr/lib/jvm)" >&2
  exit 1
fi
export JAVA_HOME="$KETCH_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
