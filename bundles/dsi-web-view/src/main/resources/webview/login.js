// Login form of the DSI web view: posts the form with fetch and goes to the view on success.
// Works without this script too (the server then answers the form with redirects).
'use strict';

(() => {
  const form = document.getElementById('login-form');
  const error = document.getElementById('login-error');
  const messages = {
    failed: 'Wrong user name or password.',
    throttled: 'Too many failed logins from this address; wait and retry.',
    forbidden: 'This user has neither the viewer nor the admin role.',
  };

  const show = (text) => {
    error.textContent = text;
    error.hidden = !text;
  };

  const code = new URLSearchParams(location.search).get('error');
  if (code) {
    show(messages[code] || 'Login refused.');
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    show('');
    const button = document.getElementById('login-submit');
    button.disabled = true;
    try {
      const body = new URLSearchParams(new FormData(form));
      const r = await fetch('login', {
        method: 'POST',
        body,
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
      });
      if (r.ok) {
        location.replace('./');
        return;
      }
      let message = 'Login refused (' + r.status + ').';
      try {
        const j = await r.json();
        if (j && typeof j.error === 'string') {
          message = j.error;
        }
      } catch (ignored) {
        // not JSON
      }
      show(message);
    } catch (e) {
      show('The Security Server cannot be reached: ' + e);
    } finally {
      button.disabled = false;
      document.getElementById('login-password').value = '';
    }
  });
})();
