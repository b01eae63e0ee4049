// Tailwind CSS configuration for hxchat.
//
// Tailwind v4 reads this file because static/css/input.css says
// `@config "../../tailwind.config.js"`. Which files are scanned for class names
// is NOT set here: input.css uses `source(none)` plus `@source "../../views"`,
// so only the templ views count (keep every class name spelled out in full in a
// .templ file; Tailwind cannot see names built at run time).
//
// After editing this file run `make css` (or keep `make dev` running) and commit
// static/css/app.css: the Go binary embeds the built CSS.

const plugin = require('tailwindcss/plugin');

// Semantic colours: what a thing is, not which hue it has. The views use these
// (`bg-surface`, `text-muted`, `border-line`, ...), so light and dark mode are
// decided here, once, instead of a `dark:` variant on every element. Each has
// a light and a dark value; dark applies when the OS prefers a dark scheme.
const semantic = {
  surface: { light: '#fafafa', dark: '#09090b' }, // page background
  panel: { light: '#ffffff', dark: '#18181b' }, // cards, inputs, the message log
  hover: { light: '#f4f4f5', dark: '#27272a' }, // a row under the pointer
  line: { light: '#e4e4e7', dark: '#3f3f46' }, // borders and dividers
  ink: { light: '#18181b', dark: '#f4f4f5' }, // body text
  muted: { light: '#52525b', dark: '#a1a1aa' }, // secondary text (AA contrast on panel)
  danger: { light: '#b91c1c', dark: '#f87171' }, // error messages
  online: { light: '#16a34a', dark: '#4ade80' }, // the "online" dot
};

/** @type {import('tailwindcss').Config} */
module.exports = {
  // Light and dark follow the operating system (prefers-color-scheme), or an
  // element's data-scheme="light"/"dark" attribute: the `dark:` variant is
  // defined in static/css/input.css, and the plugin below sets the colour
  // variables by the same rule.

  theme: {
    // `extend` adds to Tailwind's defaults instead of replacing them, so the
    // stock palette (zinc, red, ...) and spacing stay available.
    extend: {
      colors: {
        // The hxchat brand: a calm teal-blue. Use 600/700 for buttons and
        // links on light backgrounds, 300/400 on dark ones. Change the hues
        // here and every view follows.
        brand: {
          50: '#eefbfd',
          100: '#d4f3f9',
          200: '#aee7f3',
          300: '#76d3e9',
          400: '#37b6d7',
          500: '#1b99bd',
          600: '#197a9f',
          700: '#1b6382',
          800: '#1f526b',
          900: '#1e455b',
          950: '#0f2c3e',
        },
        // The semantic colours above, each read from a CSS variable
        // (--hx-surface, ...) that the plugin below sets per scheme.
        ...Object.fromEntries(
          Object.keys(semantic).map((name) => [name, `var(--hx-${name})`]),
        ),
      },

      fontFamily: {
        // System fonts only: nothing to download, and a strict
        // Content-Security-Policy needs no font-src exception.
        sans: [
          'system-ui',
          '-apple-system',
          '"Segoe UI"',
          'Roboto',
          '"Helvetica Neue"',
          'Arial',
          '"Noto Sans"',
          'sans-serif',
          '"Apple Color Emoji"',
          '"Segoe UI Emoji"',
        ],
        mono: [
          'ui-monospace',
          'SFMono-Regular',
          'Menlo',
          'Consolas',
          '"Liberation Mono"',
          'monospace',
        ],
      },
    },
  },

  plugins: [
    // Writes the semantic colours as CSS variables: light on :root, dark
    // inside a prefers-color-scheme media query, and either one on an
    // element with data-scheme="light" or "dark" (after the media query, so
    // that the attribute wins). Nothing to edit here.
    plugin(({ addBase }) => {
      const vars = (scheme) =>
        Object.fromEntries(
          Object.entries(semantic).map(([name, v]) => [`--hx-${name}`, v[scheme]]),
        );
      addBase({
        ':root': vars('light'),
        '@media (prefers-color-scheme: dark)': { ':root': vars('dark') },
        '[data-scheme="light"]': { ...vars('light'), 'color-scheme': 'light' },
        '[data-scheme="dark"]': { ...vars('dark'), 'color-scheme': 'dark' },
      });
    }),
  ],
};
