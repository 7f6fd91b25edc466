/**
 * VS Code's look inside a webview, for the browser tests: the default styles and the theme
 * variables VS Code gives every webview (`--vscode-*`, set on the root element), and the theme
 * kind it puts on `<body>` as a class.
 *
 * Values are real: read from VS Code 1.139.1 (code-server 4.139.1) with the themes Default Dark
 * Modern, Default Light Modern and Default High Contrast, limited to the variables the webviews
 * and @vscode-elements/elements use. A variable a theme does not define (`contrastBorder` in
 * the Modern themes) is absent, as it is in VS Code. The default styles are VS Code's own
 * (`webview/browser/pre/index.html`); the fonts are its Linux defaults.
 */

export type ThemeName = 'dark' | 'light' | 'high-contrast';

export interface Theme {
  /** The class VS Code puts on `<body>`. */
  kind: 'vscode-dark' | 'vscode-light' | 'vscode-high-contrast';
  /** The default styles and the variables, as one stylesheet. */
  css: string;
}

const DEFAULT_STYLES = `
@layer vscode-default {
	html {
		scrollbar-color: var(--vscode-scrollbarSlider-background) var(--vscode-editor-background);
	}

	body {
		overscroll-behavior-x: none;
		background-color: transparent;
		color: var(--vscode-editor-foreground);
		font-family: var(--vscode-font-family);
		font-weight: var(--vscode-font-weight);
		font-size: var(--vscode-font-size);
		margin: 0;
		padding: 0 20px;
	}

	img, video {
		max-width: 100%;
		max-height: 100%;
	}

	a, a code {
		color: var(--vscode-textLink-foreground);
	}

	p > a {
		text-decoration: var(--text-link-decoration);
	}

	a:hover {
		color: var(--vscode-textLink-activeForeground);
	}

	a:focus,
	input:focus,
	select:focus,
	textarea:focus {
		outline: 1px solid -webkit-focus-ring-color;
		outline-offset: -1px;
	}

	code {
		font-family: var(--monaco-monospace-font);
		color: var(--vscode-textPreformat-foreground);
		background-color: var(--vscode-textPreformat-background);
		padding: 1px 3px;
		border-radius: 4px;
	}

	pre code {
		padding: 0;
	}

	blockquote {
		background: var(--vscode-textBlockQuote-background);
		border-color: var(--vscode-textBlockQuote-border);
	}

	kbd {
		background-color: var(--vscode-keybindingLabel-background);
		color: var(--vscode-keybindingLabel-foreground);
		border-style: solid;
		border-width: 1px;
		border-radius: 3px;
		border-color: var(--vscode-keybindingLabel-border);
		border-bottom-color: var(--vscode-keybindingLabel-bottomBorder);
		box-shadow: inset 0 -1px 0 var(--vscode-widget-shadow);
		vertical-align: middle;
		padding: 1px 3px;
	}

	::-webkit-scrollbar {
		width: 10px;
		height: 10px;
	}

	::-webkit-scrollbar-corner {
		background-color: var(--vscode-editor-background);
	}

	::-webkit-scrollbar-thumb {
		background-color: var(--vscode-scrollbarSlider-background);
	}
	::-webkit-scrollbar-thumb:hover {
		background-color: var(--vscode-scrollbarSlider-hoverBackground);
	}
	::-webkit-scrollbar-thumb:active {
		background-color: var(--vscode-scrollbarSlider-activeBackground);
	}
	::highlight(find-highlight) {
		background-color: var(--vscode-editor-findMatchHighlightBackground);
	}
	::highlight(current-find-highlight) {
		background-color: var(--vscode-editor-findMatchBackground);
	}
}
`;

const FONTS: Record<string, string> = {
  'vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  'vscode-font-weight': 'normal',
  'vscode-font-size': '13px',
  'vscode-editor-font-family': "'Droid Sans Mono', monospace",
  'vscode-editor-font-weight': 'normal',
  'vscode-editor-font-size': '14px',
};

const DARK_MODERN: Record<string, string> = {
  'vscode-activityBarBadge-background': '#0078d4',
  'vscode-activityBarBadge-foreground': '#ffffff',
  'vscode-badge-background': '#616161',
  'vscode-badge-foreground': '#f8f8f8',
  'vscode-button-background': '#0078d4',
  'vscode-button-border': 'rgba(255, 255, 255, 0.1)',
  'vscode-button-foreground': '#ffffff',
  'vscode-button-hoverBackground': '#026ec1',
  'vscode-button-secondaryBackground': 'rgba(0, 0, 0, 0)',
  'vscode-button-secondaryForeground': '#cccccc',
  'vscode-button-secondaryHoverBackground': '#2b2b2b',
  'vscode-button-separator': 'rgba(255, 255, 255, 0.4)',
  'vscode-descriptionForeground': '#9d9d9d',
  'vscode-diffEditor-insertedTextBackground': 'rgba(156, 204, 44, 0.2)',
  'vscode-diffEditor-removedTextBackground': 'rgba(255, 0, 0, 0.2)',
  'vscode-editor-background': '#1f1f1f',
  'vscode-editor-findMatchBackground': '#9e6a03',
  'vscode-editor-findMatchHighlightBackground': 'rgba(234, 92, 0, 0.33)',
  'vscode-editor-foreground': '#cccccc',
  'vscode-editorWarning-foreground': '#cca700',
  'vscode-editorWidget-background': '#202020',
  'vscode-errorForeground': '#f85149',
  'vscode-focusBorder': '#0078d4',
  'vscode-foreground': '#cccccc',
  'vscode-icon-foreground': '#cccccc',
  'vscode-inputValidation-errorBackground': '#5a1d1d',
  'vscode-inputValidation-errorBorder': '#be1100',
  'vscode-keybindingLabel-background': 'rgba(128, 128, 128, 0.17)',
  'vscode-keybindingLabel-border': 'rgba(51, 51, 51, 0.6)',
  'vscode-keybindingLabel-bottomBorder': 'rgba(68, 68, 68, 0.6)',
  'vscode-keybindingLabel-foreground': '#cccccc',
  'vscode-list-hoverBackground': '#2a2d2e',
  'vscode-list-inactiveSelectionBackground': '#37373d',
  'vscode-panel-border': '#2b2b2b',
  'vscode-panelTitle-activeBorder': '#0078d4',
  'vscode-panelTitle-activeForeground': '#cccccc',
  'vscode-panelTitle-inactiveForeground': '#9d9d9d',
  'vscode-progressBar-background': '#0078d4',
  'vscode-scrollbarSlider-activeBackground': 'rgba(191, 191, 191, 0.4)',
  'vscode-scrollbarSlider-background': 'rgba(121, 121, 121, 0.4)',
  'vscode-scrollbarSlider-hoverBackground': 'rgba(100, 100, 100, 0.7)',
  'vscode-testing-iconFailed': '#f88070',
  'vscode-testing-iconPassed': '#73c991',
  'vscode-textBlockQuote-background': '#2b2b2b',
  'vscode-textBlockQuote-border': '#616161',
  'vscode-textCodeBlock-background': '#2b2b2b',
  'vscode-textLink-activeForeground': '#4daafc',
  'vscode-textLink-foreground': '#4daafc',
  'vscode-textPreformat-background': '#3c3c3c',
  'vscode-textPreformat-foreground': '#d0d0d0',
  'vscode-toolbar-activeBackground': 'rgba(99, 102, 103, 0.31)',
  'vscode-toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
  'vscode-widget-border': '#313131',
  'vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)',
};

const LIGHT_MODERN: Record<string, string> = {
  'vscode-activityBarBadge-background': '#005fb8',
  'vscode-activityBarBadge-foreground': '#ffffff',
  'vscode-badge-background': '#cccccc',
  'vscode-badge-foreground': '#3b3b3b',
  'vscode-button-background': '#005fb8',
  'vscode-button-border': 'rgba(0, 0, 0, 0.1)',
  'vscode-button-foreground': '#ffffff',
  'vscode-button-hoverBackground': '#0258a8',
  'vscode-button-secondaryBackground': '#e5e5e5',
  'vscode-button-secondaryForeground': '#3b3b3b',
  'vscode-button-secondaryHoverBackground': '#cccccc',
  'vscode-button-separator': 'rgba(255, 255, 255, 0.4)',
  'vscode-descriptionForeground': '#3b3b3b',
  'vscode-diffEditor-insertedTextBackground': 'rgba(156, 204, 44, 0.25)',
  'vscode-diffEditor-removedTextBackground': 'rgba(255, 0, 0, 0.2)',
  'vscode-editor-background': '#ffffff',
  'vscode-editor-findMatchBackground': '#a8ac94',
  'vscode-editor-findMatchHighlightBackground': 'rgba(234, 92, 0, 0.33)',
  'vscode-editor-foreground': '#3b3b3b',
  'vscode-editorWarning-foreground': '#bf8803',
  'vscode-editorWidget-background': '#f8f8f8',
  'vscode-errorForeground': '#f85149',
  'vscode-focusBorder': '#005fb8',
  'vscode-foreground': '#3b3b3b',
  'vscode-icon-foreground': '#3b3b3b',
  'vscode-inputValidation-errorBackground': '#f2dede',
  'vscode-inputValidation-errorBorder': '#be1100',
  'vscode-keybindingLabel-background': 'rgba(221, 221, 221, 0.4)',
  'vscode-keybindingLabel-border': 'rgba(204, 204, 204, 0.4)',
  'vscode-keybindingLabel-bottomBorder': 'rgba(187, 187, 187, 0.4)',
  'vscode-keybindingLabel-foreground': '#3b3b3b',
  'vscode-list-hoverBackground': '#f2f2f2',
  'vscode-list-inactiveSelectionBackground': '#e4e6f1',
  'vscode-panel-border': '#e5e5e5',
  'vscode-panelTitle-activeBorder': '#005fb8',
  'vscode-panelTitle-activeForeground': '#3b3b3b',
  'vscode-panelTitle-inactiveForeground': '#3b3b3b',
  'vscode-progressBar-background': '#005fb8',
  'vscode-scrollbarSlider-activeBackground': 'rgba(0, 0, 0, 0.6)',
  'vscode-scrollbarSlider-background': 'rgba(100, 100, 100, 0.4)',
  'vscode-scrollbarSlider-hoverBackground': 'rgba(100, 100, 100, 0.7)',
  'vscode-testing-iconFailed': '#b01011',
  'vscode-testing-iconPassed': '#73c991',
  'vscode-textBlockQuote-background': '#f8f8f8',
  'vscode-textBlockQuote-border': '#e5e5e5',
  'vscode-textCodeBlock-background': '#f8f8f8',
  'vscode-textLink-activeForeground': '#005fb8',
  'vscode-textLink-foreground': '#005fb8',
  'vscode-textPreformat-background': 'rgba(0, 0, 0, 0.12)',
  'vscode-textPreformat-foreground': '#3b3b3b',
  'vscode-toolbar-activeBackground': 'rgba(166, 166, 166, 0.31)',
  'vscode-toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
  'vscode-widget-border': '#e5e5e5',
  'vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)',
};

const HIGH_CONTRAST: Record<string, string> = {
  'vscode-activityBarBadge-background': '#000000',
  'vscode-activityBarBadge-foreground': '#ffffff',
  'vscode-badge-background': '#000000',
  'vscode-badge-foreground': '#ffffff',
  'vscode-button-background': '#000000',
  'vscode-button-border': '#6fc3df',
  'vscode-button-foreground': '#ffffff',
  'vscode-button-hoverBackground': '#000000',
  'vscode-button-secondaryForeground': '#ffffff',
  'vscode-button-separator': 'rgba(255, 255, 255, 0.4)',
  'vscode-contrastBorder': '#6fc3df',
  'vscode-descriptionForeground': 'rgba(255, 255, 255, 0.7)',
  'vscode-diffEditor-insertedTextBorder': '#33ff2e',
  'vscode-diffEditor-removedTextBorder': '#ff008f',
  'vscode-editor-background': '#000000',
  'vscode-editor-foreground': '#ffffff',
  'vscode-editorWarning-foreground': '#ffd370',
  'vscode-editorWidget-background': '#0c141f',
  'vscode-errorForeground': '#f48771',
  'vscode-focusBorder': '#f38518',
  'vscode-foreground': '#ffffff',
  'vscode-icon-foreground': '#ffffff',
  'vscode-inputValidation-errorBackground': '#000000',
  'vscode-inputValidation-errorBorder': '#6fc3df',
  'vscode-keybindingLabel-background': 'rgba(0, 0, 0, 0)',
  'vscode-keybindingLabel-border': '#6fc3df',
  'vscode-keybindingLabel-bottomBorder': '#6fc3df',
  'vscode-keybindingLabel-foreground': '#ffffff',
  'vscode-list-hoverBackground': 'rgba(255, 255, 255, 0.1)',
  'vscode-panel-border': '#6fc3df',
  'vscode-panelTitle-activeBorder': '#6fc3df',
  'vscode-panelTitle-activeForeground': '#ffffff',
  'vscode-panelTitle-inactiveForeground': '#ffffff',
  'vscode-progressBar-background': '#6fc3df',
  'vscode-scrollbarSlider-activeBackground': '#6fc3df',
  'vscode-scrollbarSlider-background': 'rgba(111, 195, 223, 0.6)',
  'vscode-scrollbarSlider-hoverBackground': 'rgba(111, 195, 223, 0.8)',
  'vscode-testing-iconPassed': '#73c991',
  'vscode-textBlockQuote-border': '#ffffff',
  'vscode-textCodeBlock-background': '#000000',
  'vscode-textLink-activeForeground': '#21a6ff',
  'vscode-textLink-foreground': '#21a6ff',
  'vscode-textPreformat-foreground': '#ffffff',
  'vscode-widget-border': '#6fc3df',
};

function sheet(vars: Record<string, string>): string {
  const decls = Object.entries({ ...FONTS, ...vars })
    .map(([k, v]) => `  --${k}: ${v};`)
    .join('\n');
  // The editor's background shows through the webview's transparent body.
  return `${DEFAULT_STYLES}\nhtml {\n  background-color: var(--vscode-editor-background);\n${decls}\n}\n`;
}

export const THEMES: Record<ThemeName, Theme> = {
  dark: { kind: 'vscode-dark', css: sheet(DARK_MODERN) },
  light: { kind: 'vscode-light', css: sheet(LIGHT_MODERN) },
  'high-contrast': { kind: 'vscode-high-contrast', css: sheet(HIGH_CONTRAST) },
};
