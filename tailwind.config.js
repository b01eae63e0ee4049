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

/** @type {import('tailwindcss').Config} */
module.exports = {
  // Light and dark follow the operating system (prefers-color-scheme).
  // Write `dark:` variants in the views; there is no in-page toggle.
  darkMode: 'media',

  theme: {
    // `extend` adds to Tailwind's defaults instead of replacing them, so the
    // stock palette (slate, zinc, red, ...) and spacing stay available.
    extend: {
      colors: {
        // The hxchat brand: a calm teal-blue. Use 600 for buttons and links on
        // light backgrounds, 400 for the same on dark backgrounds, 50/950 for
        // tinted surfaces. Change the hues here and every view follows.
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
        // Accent for highlights such as "online" dots and mentions.
        accent: {
          400: '#fbbf24',
          500: '#f59e0b',
          600: '#d97706',
        },
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

      // Chat bubbles read best a little narrower than a full line.
      maxWidth: {
        bubble: '42rem',
      },
    },
  },

  plugins: [],
};
