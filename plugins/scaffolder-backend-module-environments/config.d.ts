export interface Config {
  /** Settings of the UniFi/Cloudflare environment templates module. */
  unifiCloudflare?: {
    /**
     * The local repository publisher (`unifiCloudflare:repository:publishLocal`) and its catalog
     * registration (`unifiCloudflare:catalog:registerLocal`), for local development and tests
     * without a git host. Both actions refuse to run unless `enabled` is true.
     */
    localPublisher?: {
      /**
       * Set to true to let templates create git repositories on the backend's own disk.
       * Leave unset (false) in any shared or production installation.
       * @visibility backend
       */
      enabled?: boolean;
      /**
       * The directory the local repositories are created in, one subdirectory per repository.
       * A relative path is resolved against the backend's working directory.
       * @visibility backend
       */
      directory?: string;
    };
  };
}
