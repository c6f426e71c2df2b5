"""Akhbar's shared package: the message contract, settings, Arabic text and Kafka/ES helpers.

Services import from here; nothing in here imports a service.
"""
