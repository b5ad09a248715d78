// Draws the run's runbook with bpmn-js and marks its elements (done / active / failed) and the point
// of no return. The markers come from the page (data-markers), computed from Upshift's run journal.
(function () {
  const container = document.getElementById('diagram');
  if (!container || typeof BpmnJS === 'undefined') {
    return;
  }
  const viewer = new BpmnJS({ container: container });
  fetch(container.dataset.bpmn, { credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) {
        throw new Error('runbook XML: HTTP ' + response.status);
      }
      return response.text();
    })
    .then(function (xml) {
      return viewer.importXML(xml);
    })
    .then(function () {
      const canvas = viewer.get('canvas');
      const registry = viewer.get('elementRegistry');
      canvas.zoom('fit-viewport');
      const markers = JSON.parse(container.dataset.markers || '{}');
      let marked = 0;
      Object.keys(markers).forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, 'marker-' + markers[id]);
          marked++;
        }
      });
      const ponr = container.dataset.ponr;
      if (ponr && registry.get(ponr)) {
        canvas.addMarker(ponr, 'marker-ponr');
      }
      container.dataset.marked = String(marked);
      container.dataset.rendered = 'true';
    })
    .catch(function (error) {
      container.dataset.rendered = 'error';
      container.textContent = 'The diagram could not be drawn: ' + error.message;
    });
})();
