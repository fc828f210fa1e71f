"""schema-guard's reference application: a small FastAPI service over ``reference_models``, written to pass the
query and API rules (SG701-SG704); a template to copy.

* the tenant comes from the authenticated student, never from the request (:mod:`reference_app.api`);
* request and response bodies are the separate ``ExamCreate``/``ExamRead``/``ExamUpdate`` schemas, never the
  ``Exam`` table model;
* every statement filters by ``student_id`` (:mod:`reference_app.service`), so a student can neither read nor
  change another student's exam: a foreign id is answered with 404, exactly like a missing one.
"""

from reference_app.api import create_app

__all__ = ["create_app"]
