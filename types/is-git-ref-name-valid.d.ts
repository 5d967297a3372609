declare module 'is-git-ref-name-valid' {
  /** True when `name` is a well-formed git ref name (git check-ref-format); `onelevel` allows names without `/`. */
  export default function isGitRefNameValid(name: string, onelevel?: boolean): boolean;
}
