import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';

/**
 * The development frontend: the catalog and the scaffolder (Create page), wired as
 * @backstage/create-app's default app does with the new frontend system. The app plugin's
 * default sign-in page offers guest sign-in, which the backend's guest provider serves.
 */
export default createApp({
  features: [catalogPlugin, scaffolderPlugin],
});
