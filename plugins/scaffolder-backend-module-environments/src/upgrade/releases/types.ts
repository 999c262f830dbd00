import { RenderedFile } from '../../kits/engine';
import { AnswerValues } from '../answers';

/** A kit version that can render a repository from its recorded answers. */
export interface KitRelease {
  version: string;
  /**
   * The files this version renders from answers recorded for it, exactly as its render action
   * wrote them; `template` is the template entity reference recorded with them.
   */
  render(values: AnswerValues, template: string): RenderedFile[];
}

/** A released kit version kept renderable: its kits live under `<releasesRoot>/<version>`. */
export interface ArchivedRelease {
  version: string;
  load(releasesRoot: string): KitRelease;
}
