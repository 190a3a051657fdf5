package api

// declarationPageHTML is the worksite Privacy & Security Declaration form.
const declarationPageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Worksite Privacy &amp; Security Declaration · CareConnect</title>
<style>
 body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
 h1{font-size:1.6rem} label{display:block;font-weight:600;margin-top:1rem}
 input[type=text],input[type=email]{width:100%;padding:.5rem;border:1px solid #555;border-radius:4px;font-size:1rem}
 fieldset{border:1px solid #999;border-radius:4px;margin-top:1rem} .att label{font-weight:400;display:flex;gap:.5rem}
 .err{color:#a00000;font-weight:600;margin:.25rem 0 0} button{margin-top:1.5rem;padding:.6rem 1.4rem;font-size:1rem;background:#003366;color:#fff;border:0;border-radius:4px}
 :focus-visible{outline:3px solid #fcba19;outline-offset:2px} .box{padding:1rem;border-radius:4px;background:#f2f2f2}
 .ok{background:#e6f4ea;border:1px solid #2e7d32}
</style>
</head>
<body>
<main>
<h1>Worksite Privacy &amp; Security Declaration</h1>
{{if .Error}}
 <p class="box err" role="alert">{{.Error}}</p>
{{else if .Done}}
 <p class="box ok" role="status">The declaration for {{.Worksite.Name}} (worksite ID <strong>{{.Worksite.ID}}</strong>) has already been received. Current status: {{.Done}}.</p>
{{else}}
 <p>Worksite <strong>{{.Worksite.Name}}</strong>, ID <strong>{{.Worksite.ID}}</strong>, {{.Worksite.AddressLine}}.</p>
 <p>This form must be completed by a person with legal signing authority for the organization (for example the clinical lead or office manager).</p>
 <form id="decl" novalidate>
  <label for="signerName">Your full name</label>
  <input type="text" id="signerName" name="signerName" autocomplete="name" required aria-describedby="signerName-err">
  <p class="err" id="signerName-err" aria-live="polite"></p>
  <label for="signerTitle">Your title</label>
  <input type="text" id="signerTitle" name="signerTitle" autocomplete="organization-title" required aria-describedby="signerTitle-err">
  <p class="err" id="signerTitle-err" aria-live="polite"></p>
  <label for="signerEmail">Your email (optional)</label>
  <input type="email" id="signerEmail" name="signerEmail" autocomplete="email" aria-describedby="signerEmail-err">
  <p class="err" id="signerEmail-err" aria-live="polite"></p>
  <fieldset class="att" aria-describedby="attestations-err">
   <legend>I attest that</legend>
   {{range .Attestations}}<label><input type="checkbox" name="attestations" value="{{.ID}}" required> {{.Text}}</label>{{end}}
  </fieldset>
  <p class="err" id="attestations-err" aria-live="polite"></p>
  <label for="screenshot">Antivirus screenshot (PNG or JPEG, at most {{.MaxMB}} MB and 16 megapixels)</label>
  <input type="file" id="screenshot" name="screenshot" accept="image/png,image/jpeg" required aria-describedby="screenshot-err">
  <p class="err" id="screenshot-err" aria-live="polite"></p>
  <button type="submit">Sign the declaration</button>
  <p class="err" id="form-err" role="alert"></p>
 </form>
 <p id="done" class="box ok" role="status" hidden>Thank you. The declaration is signed; the CareConnect enrolment team will now review the worksite.</p>
 <script>
 document.getElementById('decl').addEventListener('submit', async function (ev) {
  ev.preventDefault();
  document.querySelectorAll('.err').forEach(function (e) { e.textContent = ''; });
  var res = await fetch('/api/v1/declarations/{{.Token}}', {method: 'POST', body: new FormData(ev.target)});
  if (res.ok) { ev.target.hidden = true; document.getElementById('done').hidden = false; return; }
  var body = await res.json().catch(function () { return {error: {message: 'The service did not answer; try again.'}}; });
  var fields = body.error.fields || {};
  Object.keys(fields).forEach(function (k) {
   var el = document.getElementById(k + '-err');
   (el || document.getElementById('form-err')).textContent += (el ? '' : k + ': ') + fields[k];
  });
  if (!Object.keys(fields).length) { document.getElementById('form-err').textContent = body.error.message; }
 });
 </script>
{{end}}
<p>Questions? Email <a href="mailto:{{.TeamEmail}}">{{.TeamEmail}}</a>.</p>
</main>
</body>
</html>
`
