"""Background work, run by ``manage.py db_worker`` (django-tasks with django-tasks-db).

A task's arguments and results are ids and counts, never personal data: they are stored in
plain text in the task table. Each task is a thin door onto a service function, imported
when the task runs, so that services can enqueue tasks without an import cycle.
"""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_message(message_id: int) -> str:
    """Send one queued message (and schedule its retry if the server refuses it for now)."""
    from caseapp.services.messages import message_deliver

    return message_deliver(message_id=message_id)


@task()
def recover_messages() -> dict:
    """Settle what a killed worker left behind, then run again after a while."""
    from caseapp.services.messages import messages_recover

    return messages_recover(reschedule=True)


@task()
def send_update_batch(update_id: int) -> dict:
    """One delivery lane's batch of a case update (caseapp/services/updates.py)."""
    from caseapp.services.updates import update_send_batch

    return update_send_batch(update_id=update_id)


@task()
def remind_info_request(info_request_id: int) -> str:
    """The one reminder of a request for information (caseapp/services/info_requests.py)."""
    from caseapp.services.info_requests import info_request_remind

    return info_request_remind(info_request_id=info_request_id)
