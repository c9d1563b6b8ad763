/**
 * Reading image recipes: images/recipes/NAME.yaml, checked like cluster.yaml (located problems,
 * did-you-mean), plus the rule that a recipe is named after its file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { checkYamlFile, type DocumentKind } from '../core/yaml/document.ts';
import { formatProblem, type Problem, type RuleProblem } from '../core/yaml/problems.ts';
import { Recipe, recipeRules } from './recipe.ts';

export const recipeDocument: DocumentKind<typeof Recipe> = {
  schema: Recipe,
  what: 'an image recipe',
  file: 'an image recipe (images/recipes/NAME.yaml)',
  topLevel: 'fields (name, distribution, release, builder, …)',
  howToStart: 'copy one of images/recipes/*.yaml',
  rules: recipeRules,
};

export const RECIPE_SUFFIX = '.yaml';

export type RecipeCheck = { ok: true; recipe: Recipe } | { ok: false; problems: Problem[] };

export function checkRecipeFile(file: string): RecipeCheck {
  const named = basename(file, RECIPE_SUFFIX);
  const nameRule = (recipe: Recipe): RuleProblem[] =>
    file.endsWith(RECIPE_SUFFIX) && recipe.name !== named
      ? [
          {
            path: ['name'],
            message: `the recipe in ${basename(file)} is named "${recipe.name}" (expected "${named}": a recipe is named after its file)`,
          },
        ]
      : [];
  const result = checkYamlFile(
    { ...recipeDocument, rules: (recipe) => [...recipeRules(recipe), ...nameRule(recipe)] },
    file,
  );
  return result.ok ? { ok: true, recipe: result.value } : result;
}

export class RecipeError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: Problem[],
  ) {
    super(
      problems.map((p) => formatProblem(file, p)).join('\n'),
      `check it with: virtualinux image check ${file}`,
    );
  }
}

/** the names of the recipes in a directory, sorted */
export function recipeNames(recipesDir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(recipesDir);
  } catch {
    throw new UserError(`no recipe directory ${recipesDir}`, 'give the directory of the image recipes');
  }
  return entries
    .filter((entry) => entry.endsWith(RECIPE_SUFFIX))
    .map((entry) => entry.slice(0, -RECIPE_SUFFIX.length))
    .sort();
}

export const recipeFile = (recipesDir: string, name: string) => join(recipesDir, `${name}${RECIPE_SUFFIX}`);

/** a recipe by name: valid, or a RecipeError listing every problem; an unknown name lists the known ones */
export function loadRecipe(recipesDir: string, name: string): Recipe {
  const known = recipeNames(recipesDir);
  if (!known.includes(name)) {
    throw new UserError(
      `no image recipe named "${name}"`,
      `the recipes in ${recipesDir} are: ${known.join(', ') || 'none'}`,
    );
  }
  const file = recipeFile(recipesDir, name);
  const result = checkRecipeFile(file);
  if (!result.ok) throw new RecipeError(file, result.problems);
  return result.recipe;
}

/**
 * `FILE:LINE:COL` of a top-level field's value in a recipe file, for problems found after the
 * recipe was checked (a checksum that does not match, a source that is not there)
 */
export function fieldLocation(file: string, field: string): string {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    const line = lines.findIndex((text) => text.startsWith(`${field}:`));
    if (line === -1) return file;
    const col = (/^[^:]+:\s*/.exec(lines[line] ?? '')?.[0].length ?? 0) + 1;
    return `${file}:${line + 1}:${col}`;
  } catch {
    return file;
  }
}
